#!/usr/bin/env node
// `npm start`: builds the four Workers, starts the local data plane (private Postgres and Redis under .data/
// unless DATABASE_URL / REDIS_URL point at existing servers, plus the two bridges), applies migrations, and
// serves auth, policy, admin and monitor on 127.0.0.1:8080-8083 under bare workerd with the generated
// configuration (the same one the Kubernetes fallback runs). Worker settings in the environment (by the names the
// Workers declare, e.g. REGISTRATION_TOKEN) are passed on. Ctrl-C stops everything it started.
import { join } from 'node:path';
import { buildDataplane, buildWorkers } from './build.mjs';
import { dashboardNotice, keptDashboardEnv, startWithDashboard } from './lib/local-dashboard.mjs';
import { localWorkerEnv, registrationNotice } from './lib/local-env.mjs';
import {
  localSecrets,
  migrate,
  platformConfigPath,
  platformSockets,
  startDataPlane,
  saveLocalSecrets,
  startWorkerd,
} from './lib/platform.mjs';
import { ROOT, WORKERS } from './lib/workers.mjs';
import { writeWorkerdConfigs } from './workerd-config.mjs';

const started = performance.now();
const DATA_DIR = join(ROOT, '.data');
const cleanups = [];
let stopping = false;

async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  for (const fn of cleanups.reverse()) await fn().catch(() => {});
  process.exit(code);
}
process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));

function fail(message) {
  console.error(`\nnpm start: ${message}`);
  return shutdown(1);
}

/** Fails at once, naming the port, when something already listens there (another `npm start`, say). */
async function assertPortsFree(sockets) {
  const { createServer } = await import('node:net');
  for (const [name, addr] of Object.entries(sockets)) {
    const [host, port] = [addr.slice(0, addr.lastIndexOf(':')), Number(addr.slice(addr.lastIndexOf(':') + 1))];
    await new Promise((resolve, reject) => {
      const srv = createServer();
      srv.once('error', () =>
        reject(new Error(`${addr} (the ${name} Worker's port) is already in use: is another \`npm start\` running?`)),
      );
      srv.listen(port, host, () => srv.close(resolve));
    });
  }
}

try {
  await assertPortsFree(await platformSockets('default'));
  await buildDataplane();
  const [dataPlane] = await Promise.all([
    startDataPlane({
      databaseUrl: process.env.DATABASE_URL,
      redisUrl: process.env.REDIS_URL,
      redisKeyPrefix: process.env.REDIS_KEY_PREFIX,
      dataDir: DATA_DIR,
    }),
    buildWorkers().then(() => writeWorkerdConfigs()),
  ]);
  cleanups.push(() => dataPlane.stop());
  await migrate(dataPlane.databaseUrl, dataPlane.pgProxy, process.env.PG_ROOT_CERTS);

  const secrets = localSecrets(DATA_DIR);
  const sockets = await platformSockets('default');
  // Every Worker setting given by its documented name (REGISTRATION_TOKEN, STATE_BACKEND, ...) reaches the Workers;
  // the dashboard's client from an earlier run too, unless the caller configured the dashboard.
  const issuer = `http://${sockets.auth}`;
  const env = {
    ...keptDashboardEnv(secrets, issuer),
    ...localWorkerEnv({ processEnv: process.env, dataPlane, secrets, issuer }),
  };
  const urls = { auth: issuer, admin: `http://${sockets.admin}` };
  let workerd;
  cleanups.push(() => workerd?.stop() ?? Promise.resolve());
  const launch = async (launchEnv) => {
    const instance = await startWorkerd({
      config: platformConfigPath(),
      sockets,
      env: launchEnv,
      doStorageDir: join(DATA_DIR, 'durable-objects'),
      onLog: (line) => console.log(line),
    });
    let stoppedOnPurpose = false;
    instance.exited.then(() => {
      if (!stopping && !stoppedOnPurpose) fail('workerd exited unexpectedly');
    });
    workerd = {
      ...instance,
      stop: () => {
        stoppedOnPurpose = true;
        return instance.stop();
      },
    };
    return workerd;
  };
  // The dashboard out of the box: the admin Worker as a first-party OIDC client, and a local operator.
  const dashboard = await startWithDashboard({ launch, env, secrets, urls });
  if (dashboard.keep) saveLocalSecrets(dashboard.keep, DATA_DIR);

  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const rows = WORKERS.map(({ name }) => `  ${name.padEnd(8)} http://${sockets[name]}`);
  console.log(
    [
      '',
      `Edge Security Platform is up (${seconds} s)`,
      ...rows,
      `  postgres ${dataPlane.databaseUrl.replace(/:[^:@/]+@/, ':***@')}  [${dataPlane.postgresSource}]`,
      `           through the WebSocket bridge ws://${dataPlane.pgProxy}`,
      `  redis    ${dataPlane.redisUrl.replace(/:[^:@/]+@/, ':***@')}  [${dataPlane.redisSource}]`,
      `           through the Upstash REST bridge ${dataPlane.redisRestUrl}`,
      registrationNotice(env),
      dashboard.operator
        ? dashboardNotice(urls, dashboard.operator)
        : `  dashboard: off (${dashboard.problem ?? 'configured by DASHBOARD_* in the environment'})`,
      `  admin bootstrap token: ${secrets.ADMIN_BOOTSTRAP_TOKEN}  (kept in .data/local-secrets.json)`,
      `  policy decision API token (POLICY_API_TOKEN): ${env.POLICY_API_TOKEN}`,
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
} catch (err) {
  const plain = err?.name === 'MissingBinaryError' || /already in use/.test(err?.message ?? '');
  await fail(plain ? err.message : (err?.stack ?? String(err)));
}
