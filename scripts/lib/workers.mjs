// The four Workers, their local ports and where their bundles go. One list, used by build, start, bench and tests.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { parse as parseToml } from 'smol-toml';

export const ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');

export const WORKERS = [
  { name: 'auth', port: 8080 },
  { name: 'policy', port: 8081 },
  { name: 'admin', port: 8082 },
  { name: 'monitor', port: 8083 },
];

export function wranglerConfigPath(name) {
  return join(ROOT, 'workers', name, 'wrangler.toml');
}

export function readWranglerConfig(name) {
  return parseToml(readFileSync(wranglerConfigPath(name), 'utf8'));
}

export function bundleDir(name, outRoot = join(ROOT, 'dist')) {
  return join(outRoot, 'workers', name);
}

/** Environment for wrangler that keeps it quiet and offline. */
export const QUIET_WRANGLER_ENV = {
  WRANGLER_SEND_METRICS: 'false',
  WRANGLER_SEND_ERROR_REPORTS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  NO_UPDATE_NOTIFIER: '1',
};

/**
 * The variables a Worker reads, from its one declaration (workers/<name>/src/variables.ts): name →
 * `{ required, aliasOf, perWorker }`. The generated workerd config binds each with `fromEnvironment` (so no value is ever
 * written into it), `npm start` passes each through from its own environment, and `npm run k8s:check` requires
 * the `required` ones. On Cloudflare the same names are [vars] or `wrangler secret put` secrets.
 *
 * The TypeScript declaration is bundled with esbuild and evaluated here, so there is no second list to keep.
 */
export function workerVariables(name) {
  let vars = declared.get(name);
  if (!vars) {
    const entry = join(ROOT, 'workers', name, 'src', 'variables.ts');
    const out = buildSync({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: 'cjs',
      platform: 'neutral',
      logLevel: 'error',
    });
    const module = { exports: {} };
    new Function('module', 'exports', out.outputFiles[0].text)(module, module.exports);
    const fields = module.exports.variables;
    if (!fields || typeof fields !== 'object') throw new Error(`${entry} does not export \`variables\``);
    vars = new Map(
      Object.entries(fields).map(([k, f]) => [
        k,
        { required: Boolean(f.required), aliasOf: f.aliasOf, perWorker: Boolean(f.perWorker) },
      ]),
    );
    declared.set(name, vars);
  }
  return vars;
}

const declared = new Map();

/** Every variable any Worker declares (what `npm start` passes through from its environment). */
export function allWorkerVariables() {
  return [...new Set(WORKERS.flatMap(({ name }) => [...workerVariables(name).keys()]))].sort();
}

/**
 * The environment variable a Worker's `variable` is bound from in the one-process platform config: `<NAME>_<WORKER>`
 * (UPSTASH_REDIS_REST_TOKEN_AUTH) for a variable declared per Worker (shared/config.ts `perWorker`), else the name.
 */
export function platformEnvName(variable, worker) {
  return workerVariables(worker).get(variable)?.perWorker ? `${variable}_${worker.toUpperCase()}` : variable;
}

/** The variables declared per Worker by any Worker (UPSTASH_REDIS_REST_TOKEN). */
export function perWorkerVariables() {
  return allWorkerVariables().filter((v) => WORKERS.some(({ name }) => workerVariables(name).get(v)?.perWorker));
}

/**
 * A platform environment (per-Worker names, see platformEnvName) as one Worker alone in its process reads it: its
 * own value of each per-Worker variable under the plain name, the other Workers' values left out.
 */
export function singleWorkerEnv(platformEnv, worker) {
  const perWorker = perWorkerVariables();
  const own = Object.entries(platformEnv).filter(([k]) => !perWorker.some((v) => k.startsWith(`${v}_`)));
  for (const v of perWorker) {
    const value = platformEnv[platformEnvName(v, worker)];
    if (value !== undefined) own.push([v, value]);
  }
  return Object.fromEntries(own);
}
