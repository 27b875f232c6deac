// Generates workerd configurations (Cap'n Proto text) from the same bundles `wrangler deploy` ships and the
// same wrangler.toml files. Output is deterministic: sorted, no timestamps, no secret values. Secrets and
// per-deployment settings are `fromEnvironment` bindings; listen addresses and the Durable Object storage
// folder are overridden on the workerd command line (`--socket-addr`, `--directory-path`).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { bundleDir, platformEnvName, ROOT, readWranglerConfig, WORKERS, workerVariables } from './workers.mjs';

const SERVICE_PREFIX = 'edge-security-';

/**
 * V8 flags of every workerd process we run: the platform, its Kubernetes pods and the bench's reference Workers.
 *
 * `--max-semi-space-size=4` (MiB) bounds the young generation. Under load V8 grew it to 32 MiB (new-space capacity
 * in --trace-gc-nvp), and a scavenge's pause grows with it: every request leaves runtime objects (Request, Headers,
 * promises, crypto results) whose weak handles each scavenge must process. At about 4,500 tokens/s on one core, the
 * auth isolate's scavenges took 15-25 ms, and each stalled every request in flight. With the bound they take about
 * 3 ms. In 6 interleaved rounds of the token endpoint, p99 was 15.1 ms (median) instead of 23.6 ms, lower in every
 * round, with throughput unchanged.
 *
 * workerd refuses to start with a flag its V8 does not know, so a renamed flag fails every workerd test at once.
 * On Cloudflare the runtime's own settings apply; this shapes only the self-hosted processes.
 */
export const V8_FLAGS = Object.freeze(['--max-semi-space-size=4']);

const q = (s) => JSON.stringify(String(s));

/**
 * The security headers every response carries whatever its handler set (`fixed` in shared/security-headers.json, the
 * Workers' FIXED_HEADERS). Every socket injects them (`injectResponseHeaders` replaces a header of the same name, as
 * the Workers' own middleware does), and every Worker is told so in SOCKET_SECURITY_HEADERS, a literal binding, so it
 * does not build them per response.
 */
const SOCKET_SECURITY_HEADERS = Object.freeze(
  Object.entries(JSON.parse(readFileSync(join(ROOT, 'shared', 'security-headers.json'), 'utf8')).fixed),
);
const socketHttpOptions = () =>
  `(injectResponseHeaders = [${SOCKET_SECURITY_HEADERS.map(([name, value]) => `(name = ${q(name)}, value = ${q(value)})`).join(', ')}])`;

// Module types a Worker's wrangler.toml [[rules]] assign by extension (e.g. Text for "**/*.cedar"), so the
// generated config embeds those files the way wrangler uploads them.
const RULE_KINDS = { Text: 'text', Data: 'data', CompiledWasm: 'wasm' };
function ruleKinds(wrangler) {
  const kinds = new Map();
  for (const rule of wrangler.rules ?? []) {
    for (const glob of rule.globs ?? []) {
      const ext = /\*(\.[A-Za-z0-9_-]+)$/.exec(glob)?.[1];
      if (ext && RULE_KINDS[rule.type]) kinds.set(ext, RULE_KINDS[rule.type]);
    }
  }
  return kinds;
}

function moduleEntries(name, configDir, outRoot, wrangler) {
  const kinds = ruleKinds(wrangler);
  const dir = bundleDir(name, outRoot);
  const files = readdirSync(dir)
    .filter((f) => !f.endsWith('.map') && f !== 'README.md')
    .sort((a, b) => (a === 'index.js' ? -1 : b === 'index.js' ? 1 : a.localeCompare(b)));
  return files.map((file) => {
    const path = relative(configDir, join(dir, file));
    const ruled = kinds.get(file.slice(file.lastIndexOf('.')));
    if (ruled) return `(name = ${q(file)}, ${ruled} = embed ${q(path)})`;
    if (file.endsWith('.js') || file.endsWith('.mjs')) return `(name = ${q(file)}, esModule = embed ${q(path)})`;
    if (file.endsWith('.wasm')) return `(name = ${q(file)}, wasm = embed ${q(path)})`;
    if (file.endsWith('.json')) return `(name = ${q(file)}, json = embed ${q(path)})`;
    if (file.endsWith('.txt') || file.endsWith('.html')) return `(name = ${q(file)}, text = embed ${q(path)})`;
    return `(name = ${q(file)}, data = embed ${q(path)})`;
  });
}

function sqliteClasses(wrangler) {
  const classes = new Set();
  for (const m of wrangler.migrations ?? []) for (const c of m.new_sqlite_classes ?? []) classes.add(c);
  return classes;
}

/**
 * @param {object} opts
 * @param {'platform'|'single'} opts.mode  platform: all four Workers in one process (local, tests);
 *   single: one Worker per process (Kubernetes), whose service bindings reach the others over HTTP.
 * @param {string} [opts.worker]  the Worker, in single mode
 * @param {string} opts.configDir  folder the config file will be written to (embed paths are relative to it)
 * @param {string} opts.outRoot  dist folder holding workers/<name>/ bundles
 * @param {(name: string) => string} [opts.peerAddress]  single mode: host:port of another Worker's Service
 */
export function generateWorkerdConfig(opts) {
  const { mode, configDir, outRoot } = opts;
  const peerAddress = opts.peerAddress ?? ((name) => `${name}:${WORKERS.find((w) => w.name === name).port}`);
  const hosted = mode === 'platform' ? WORKERS.map((w) => w.name) : [opts.worker];
  const services = [];
  const sockets = [];
  const workerConsts = [];
  const externals = new Set();
  let needsDisk = false;

  for (const name of hosted) {
    const wrangler = readWranglerConfig(name);
    const port = WORKERS.find((w) => w.name === name).port;
    // Where the Worker runs: a literal (not fromEnvironment, so no environment can remove it) that only configs
    // generated here carry. Cloudflare deployments never have it; a Worker that must not rely on Cloudflare's
    // isolation (the policy Worker's decision API needs POLICY_API_TOKEN) reads it (shared/env.ts).
    const bindings = [
      `(name = "RUNTIME", text = "workerd")`,
      `(name = "SOCKET_SECURITY_HEADERS", text = ${q(SOCKET_SECURITY_HEADERS.map(([name]) => name).join(','))})`,
    ];
    const declared = workerVariables(name);
    for (const [k, v] of Object.entries(wrangler.vars ?? {}).sort()) {
      // A declared variable is read from the environment (the declaration holds its default), so [vars] of the same
      // name only matter on Cloudflare.
      if (declared.has(k)) continue;
      bindings.push(`(name = ${q(k)}, text = ${q(typeof v === 'string' ? v : JSON.stringify(v))})`);
    }
    for (const k of [...declared.keys()].sort()) {
      // One process hosts every Worker in platform mode, so a per-Worker value comes from a per-Worker variable.
      const from = mode === 'platform' ? platformEnvName(k, name) : k;
      bindings.push(`(name = ${q(k)}, fromEnvironment = ${q(from)})`);
    }
    for (const svc of [...(wrangler.services ?? [])].sort((a, b) => a.binding.localeCompare(b.binding))) {
      const target = svc.service.startsWith(SERVICE_PREFIX) ? svc.service.slice(SERVICE_PREFIX.length) : svc.service;
      if (!hosted.includes(target)) externals.add(target);
      bindings.push(`(name = ${q(svc.binding)}, service = ${q(hosted.includes(target) ? target : `peer-${target}`)})`);
    }
    const namespaces = [];
    const sqlite = sqliteClasses(wrangler);
    for (const dob of [...(wrangler.durable_objects?.bindings ?? [])].sort((a, b) => a.name.localeCompare(b.name))) {
      bindings.push(`(name = ${q(dob.name)}, durableObjectNamespace = (className = ${q(dob.class_name)}))`);
      namespaces.push(
        `(className = ${q(dob.class_name)}, uniqueKey = ${q(`${name}-${dob.class_name}`)}, enableSql = ${sqlite.has(dob.class_name)})`,
      );
    }
    const constName = `${name}Worker`;
    const lines = [
      `const ${constName} :Workerd.Worker = (`,
      `  modules = [\n    ${moduleEntries(name, configDir, outRoot, wrangler).join(',\n    ')}\n  ],`,
      `  compatibilityDate = ${q(wrangler.compatibility_date)},`,
      `  compatibilityFlags = [${(wrangler.compatibility_flags ?? []).map(q).join(', ')}],`,
      `  bindings = [\n    ${bindings.join(',\n    ')}\n  ],`,
      `  globalOutbound = "internet",`,
    ];
    if (namespaces.length > 0) {
      needsDisk = true;
      lines.push(`  durableObjectNamespaces = [\n    ${namespaces.join(',\n    ')}\n  ],`);
      lines.push(`  durableObjectStorage = (localDisk = "do-storage"),`);
    }
    lines.push(');');
    workerConsts.push(lines.join('\n'));
    services.push(`(name = ${q(name)}, worker = .${constName})`);
    sockets.push(
      `(name = ${q(name)}, address = ${q(`127.0.0.1:${port}`)}, http = ${socketHttpOptions()}, service = ${q(name)})`,
    );
  }

  for (const peer of [...externals].sort()) {
    services.push(`(name = ${q(`peer-${peer}`)}, external = (address = ${q(peerAddress(peer))}, http = ()))`);
  }
  // Outbound: public for Neon/Upstash/Sentry; private and local for the self-hosted bridges.
  services.push(
    '(name = "internet", network = (allow = ["public", "private", "local"], tlsOptions = (trustBrowserCas = true)))',
  );
  if (needsDisk)
    services.push('(name = "do-storage", disk = (path = "/var/lib/edge-security/durable-objects", writable = true))');

  return [
    '# Generated by scripts/workerd-config.mjs from workers/*/wrangler.toml and the wrangler bundles. Do not edit.',
    '# Override per deployment: --socket-addr NAME=HOST:PORT, --directory-path do-storage=PATH,',
    '# and the fromEnvironment variables below (secrets are never written into this file).',
    'using Workerd = import "/workerd/workerd.capnp";',
    '',
    'const config :Workerd.Config = (',
    `  v8Flags = [${V8_FLAGS.map(q).join(', ')}],`,
    `  services = [\n    ${services.join(',\n    ')}\n  ],`,
    `  sockets = [\n    ${sockets.join(',\n    ')}\n  ],`,
    ');',
    '',
    ...workerConsts.flatMap((c) => [c, '']),
  ].join('\n');
}
