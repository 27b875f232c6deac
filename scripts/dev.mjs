#!/usr/bin/env node
// `npm run dev`: the four Workers under `wrangler dev` with live reload, on the same local data plane as
// `npm start`. Slower than bare workerd (wrangler puts a proxy in front); use `npm start` or `npm run bench`
// for anything timed. The auth Worker answers on 127.0.0.1:8080; the others are reached through its service
// bindings (wrangler dev runs all four configurations in one session).
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildDataplane } from './build.mjs';
import { localWorkerEnv } from './lib/local-env.mjs';
import { localSecrets, migrate, startDataPlane } from './lib/platform.mjs';
import { QUIET_WRANGLER_ENV, ROOT, singleWorkerEnv, WORKERS, wranglerConfigPath } from './lib/workers.mjs';

const DATA_DIR = join(ROOT, '.data');
await buildDataplane();
const dataPlane = await startDataPlane({
  databaseUrl: process.env.DATABASE_URL,
  redisUrl: process.env.REDIS_URL,
  redisKeyPrefix: process.env.REDIS_KEY_PREFIX,
  dataDir: DATA_DIR,
});
await migrate(dataPlane.databaseUrl, dataPlane.pgProxy, process.env.PG_ROOT_CERTS);

const secrets = localSecrets(DATA_DIR);
const env = localWorkerEnv({ processEnv: process.env, dataPlane, secrets, issuer: 'http://127.0.0.1:8080' });
// wrangler dev reads each Worker's secrets from .dev.vars next to its wrangler.toml (gitignored). Each Worker gets
// its own Redis token under the plain name (the per-Worker names are for the one-process workerd config).
// RUNTIME marks the run as not Cloudflare (shared/env.ts): wrangler dev serves on local ports, so the policy Worker's
// decision API requires its POLICY_API_TOKEN here as under workerd (the local secrets provide it).
for (const { name } of WORKERS) {
  const body = Object.entries({ ...singleWorkerEnv(env, name), RUNTIME: 'wrangler-dev' })
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join('\n');
  writeFileSync(join(ROOT, 'workers', name, '.dev.vars'), `${body}\n`, { mode: 0o600 });
}

const args = ['dev', '--port', '8080', '--ip', '127.0.0.1'];
for (const { name } of WORKERS) args.push('--config', wranglerConfigPath(name));
const child = spawn(join(ROOT, 'node_modules', '.bin', 'wrangler'), args, {
  cwd: ROOT,
  stdio: 'inherit',
  env: { ...process.env, ...QUIET_WRANGLER_ENV },
});
const stop = async () => {
  child.kill('SIGTERM');
  await dataPlane.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
child.on('exit', async (code) => {
  await dataPlane.stop();
  process.exit(code ?? 0);
});
