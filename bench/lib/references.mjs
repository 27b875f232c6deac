// Reference servers the scenarios measure against, each pinned to the server core like the platform:
// a bare workerd Worker from a single module (runtime and token-endpoint ceilings), and node-oidc-provider.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, WORKERD_BIN } from '../../scripts/lib/platform.mjs';
import { V8_FLAGS } from '../../scripts/lib/workerd-config.mjs';
import { ROOT } from '../../scripts/lib/workers.mjs';
import { BENCH_OUT } from './platform.mjs';
import { SERVER_CPU, spawnPinned, waitForHttp } from './proc.mjs';

export const REFERENCES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'references');

const q = (s) => JSON.stringify(String(s));

/**
 * Runs one ES module as a bare workerd Worker (same workerd binary and compatibility date as the platform).
 * @param {string} name  short name, used for the generated config file
 * @param {string} modulePath  the Worker's module
 * @param {Record<string,string>} [vars]  text bindings
 * @param {string[]} [flags]  compatibility flags (e.g. nodejs_compat)
 */
export async function startBareWorker(name, modulePath, vars = {}, flags = []) {
  const dir = join(BENCH_OUT, 'references', name);
  mkdirSync(dir, { recursive: true });
  const file = basename(modulePath);
  copyFileSync(modulePath, join(dir, file));
  const port = await freePort();
  const bindings = Object.entries(vars).map(([k, v]) => `(name = ${q(k)}, text = ${q(v)})`);
  const modules = [`(name = ${q(file)}, esModule = embed ${q(file)})`];
  const config = writeSingleWorkerConfig(join(dir, 'config.capnp'), port, modules, bindings, flags);
  const proc = spawnPinned(SERVER_CPU, WORKERD_BIN, ['serve', config], { cwd: ROOT });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttpAny(url, proc);
  return { url, pid: proc.child.pid, stop: proc.stop, logs: proc.logs };
}

/**
 * The runtime ceiling (bare workerd answering `ok`, references/ok-worker.js), its stop pushed on `stops`, and its
 * measurement (`runtime-ceiling`) with overrides.
 */
export async function startRuntimeCeiling(stops) {
  const ok = await startBareWorker('runtime-ceiling', join(REFERENCES_DIR, 'ok-worker.js'));
  stops.push(ok.stop);
  const measure = (overrides = {}) => ({
    id: 'runtime-ceiling',
    label: 'runtime ceiling: bare workerd "ok"',
    request: { url: ok.url },
    serverPids: [ok.pid],
    ...overrides,
  });
  return { pid: ok.pid, measure };
}

/**
 * Writes the workerd config of one Worker (`modules`, `bindings`: capnp list items, embed paths relative to the
 * config's folder) listening on 127.0.0.1:`port`, with the platform's compatibility date and `flags`. Returns the
 * path.
 */
export function writeSingleWorkerConfig(path, port, modules, bindings = [], flags = []) {
  writeFileSync(
    path,
    [
      'using Workerd = import "/workerd/workerd.capnp";',
      'const config :Workerd.Config = (',
      // The platform's own V8 flags (scripts/lib/workerd-config.mjs): a reference runs on the same runtime settings.
      `  v8Flags = [${V8_FLAGS.map(q).join(', ')}],`,
      '  services = [(name = "main", worker = .worker)],',
      `  sockets = [(name = "http", address = ${q(`127.0.0.1:${port}`)}, http = (), service = "main")],`,
      ');',
      'const worker :Workerd.Worker = (',
      `  modules = [${modules.join(', ')}],`,
      '  compatibilityDate = "2026-04-26",',
      `  compatibilityFlags = [${flags.map(q).join(', ')}],`,
      `  bindings = [${bindings.join(', ')}],`,
      ');',
      '',
    ].join('\n'),
  );
  return path;
}

/** A Worker that only answers POST still answers something to GET: any HTTP answer means it is up. */
async function waitForHttpAny(url, proc, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`workerd exited (${proc.child.exitCode}):\n${proc.logs()}`);
    try {
      await fetch(url);
      return;
    } catch {
      // not yet listening
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer in time:\n${proc.logs()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * node-oidc-provider with client_credentials, JWT and opaque access tokens, introspection and (profile `tuned`)
 * refresh with rotation; `profile` is `tuned` (the default: configured for speed) or `untuned` (as it comes).
 * See references/oidc-peer.mjs for every setting and why.
 */
export async function startOidcPeer(profile = 'tuned', nodeArgs = []) {
  const port = await freePort();
  let info;
  const ready = new Promise((resolve) => {
    info = resolve;
  });
  const proc = spawnPinned(
    SERVER_CPU,
    process.execPath,
    [...nodeArgs, join(REFERENCES_DIR, 'oidc-peer.mjs'), String(port), profile],
    {
      cwd: ROOT,
      env: { NODE_ENV: 'production' },
      onLine: (line) => {
        if (line.startsWith('{')) info(JSON.parse(line));
      },
    },
  );
  const started = await Promise.race([
    ready,
    proc.exited.then((code) => {
      throw new Error(`oidc-provider exited (${code}):\n${proc.logs()}`);
    }),
  ]);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/.well-known/openid-configuration`, proc);
  return { ...started, url, pid: proc.child.pid, stop: proc.stop, logs: proc.logs };
}
