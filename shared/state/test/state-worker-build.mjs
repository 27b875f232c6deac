// Bundles the test-only state Worker (shared/state/test/worker.ts) with wrangler, as the platform's Workers are
// bundled, and writes a workerd config for it: the StateObject namespace SQLite-backed on a local disk (per
// process, as on Kubernetes), and the backend settings read from the environment. Used by the 2-replica test
// (test/node/state-replicas.test.ts) and the benchmark (bench/scenarios/state.mjs).
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { QUIET_WRANGLER_ENV, ROOT } from '../../../scripts/lib/workers.mjs';

const q = (s) => JSON.stringify(String(s));

/** Variables the Worker reads, bound with fromEnvironment (set per process). */
export const STATE_WORKER_ENV = [
  'STATE_BACKEND',
  'STATE_TIMEOUT_MS',
  'UPSTASH_REDIS_REST_URL',
  'UPSTASH_REDIS_REST_TOKEN',
  'REDIS_KEY_PREFIX',
];

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...QUIET_WRANGLER_ENV }, stdio: 'pipe' });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')}:\n${out}`))));
  });
}

/**
 * Builds into `dir` and returns the config path. Serve it with
 * `workerd serve <config> --socket-addr http=HOST:PORT --directory-path do-storage=DIR`.
 */
export async function buildStateWorker(dir) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await run(join(ROOT, 'node_modules', '.bin', 'wrangler'), [
    'deploy',
    '--dry-run',
    '--outdir',
    dir,
    '--config',
    join(ROOT, 'shared', 'state', 'test', 'wrangler.toml'),
  ]);
  const modules = readdirSync(dir)
    .filter((f) => f.endsWith('.js'))
    .sort((a, b) =>
      a === 'worker.js' || a === 'index.js' ? -1 : b === 'worker.js' || b === 'index.js' ? 1 : a.localeCompare(b),
    )
    .map((f) => `(name = ${q(f)}, esModule = embed ${q(f)})`);
  const bindings = [
    '(name = "STATE", durableObjectNamespace = (className = "StateObject"))',
    ...STATE_WORKER_ENV.map((k) => `(name = ${q(k)}, fromEnvironment = ${q(k)})`),
  ];
  const config = join(dir, 'state.capnp');
  writeFileSync(
    config,
    [
      'using Workerd = import "/workerd/workerd.capnp";',
      'const config :Workerd.Config = (',
      '  services = [',
      '    (name = "main", worker = .worker),',
      '    (name = "internet", network = (allow = ["public", "private", "local"])),',
      '    (name = "do-storage", disk = (path = "/nonexistent", writable = true)),',
      '  ],',
      '  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],',
      ');',
      'const worker :Workerd.Worker = (',
      `  modules = [${modules.join(', ')}],`,
      '  compatibilityDate = "2026-04-26",',
      `  bindings = [${bindings.join(', ')}],`,
      '  globalOutbound = "internet",',
      '  durableObjectNamespaces = [(className = "StateObject", uniqueKey = "state-tests-StateObject", enableSql = true)],',
      '  durableObjectStorage = (localDisk = "do-storage"),',
      ');',
      '',
    ].join('\n'),
  );
  return config;
}
