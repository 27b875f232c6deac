// The layering rules of ARCHITECTURE.md, checked on every `npm test` (scripts/test.mjs runs
// `depcruise --config .dependency-cruiser.cjs shared workers`). test/node/layering.test.ts shows each rule failing on
// a fixture tree that breaks it.
//
//   routes → handlers → {domain, storage};  domain is pure;  storage implements interfaces declared beside the domain
//   (type-only imports);  shared/ never imports a Worker;  Workers never import each other;  no circular imports.

/** Packages and runtime modules that are I/O, a framework or the Worker context: never in domain code. */
const IMPURE_PACKAGES = '(^|/)node_modules/(hono|drizzle-orm|@neondatabase|@upstash|toucan-js)/|^cloudflare:';
/**
 * shared/ modules that do I/O or need the request context (the rest of shared/ is pure and fine in a domain). A
 * Worker's domain may define keyed-state machines (shared/state/machine.ts) but never holds a store.
 */
const IMPURE_SHARED =
  '^shared/(app|health|dependencies|redis|deadline|service-client|policy-client|sentry)\\.ts$|^shared/db/|^shared/admin/(authorize|credentials)\\.ts$|^shared/events/sink\\.ts$|^shared/rate-limit/(limiter|create)\\.ts$|^shared/state/(durable-object|redis|memory|select)\\.ts$';
/** Layers that are not the domain: HTTP handlers, storage adapters, Durable Object classes, a Worker's roots. */
const NOT_DOMAIN = '/(handlers|storage|durable-objects)/|^workers/[^/]+/src/(routes|services|index|env)\\.ts$';

/** One forbidden dependency, reported as an error. */
const rule = (name, comment, from, to) => ({ name, severity: 'error', comment, from, to });

module.exports = {
  forbidden: [
    rule('no-circular', 'A cycle means two modules cannot be understood (or tested) apart.', {}, { circular: true }),
    rule(
      'domain-is-pure',
      'domain/ takes inputs and returns decisions: no storage, handlers, Hono, Cloudflare APIs or Worker context.',
      { path: '/domain/' },
      { path: [IMPURE_PACKAGES, IMPURE_SHARED, NOT_DOMAIN] },
    ),
    rule(
      'domain-not-capability-services',
      'A capability root module (a key ring, the active policy) keeps state and does I/O: not for domain/.',
      { path: '^workers/[^/]+/src/.*/domain/' },
      { path: '^workers/[^/]+/src/', pathNot: '/domain/|/variables\\.ts$' },
    ),
    rule(
      'storage-implements-domain-interfaces',
      'Storage adapters implement interfaces declared beside the domain: they may import its types only.',
      { path: '/storage/' },
      { path: '/domain/', dependencyTypesNot: ['type-only'] },
    ),
    rule(
      'storage-below-handlers',
      'Storage is called by handlers and services, never the other way round.',
      { path: '/storage/' },
      { path: '/handlers/|^workers/[^/]+/src/(routes|services|index)\\.ts$' },
    ),
    rule(
      'handlers-below-routes',
      'Routes wire handlers; a handler does not reach back to the routes or the entrypoint.',
      { path: '/handlers/' },
      { path: '^workers/[^/]+/src/(routes|index)\\.ts$' },
    ),
    rule(
      'shared-imports-no-worker',
      'shared/ is what every Worker builds on; it must not depend on any one of them.',
      { path: '^shared/' },
      { path: '^workers/' },
    ),
    rule(
      'workers-import-no-other-worker',
      'Workers talk over service bindings; code two Workers need belongs in shared/.',
      { path: '^workers/([^/]+)/' },
      { path: '^workers/', pathNot: '^workers/$1/' },
    ),
    rule(
      'source-imports-no-test',
      'Tests depend on the source, never the reverse.',
      { path: '^(shared|workers/[^/]+/src)/', pathNot: '/test/' },
      { path: '/test/' },
    ),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^dist/|(^|/)\\.wrangler/|^test/fixtures/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: require('node:path').join(__dirname, 'tsconfig.json') },
    enhancedResolveOptions: {
      extensions: ['.ts', '.mts', '.mjs', '.js', '.d.mts', '.d.ts'],
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types'],
    },
  },
};
