// The layering rules of ARCHITECTURE.md, checked on every `npm test` (scripts/test.mjs runs
// `depcruise --config .dependency-cruiser.cjs shared workers`). test/node/layering.test.ts shows each rule failing on
// a fixture tree that breaks it.
//
//   routes → handlers → {domain, storage};  domain is pure;  storage implements interfaces declared beside the domain
//   (type-only imports);  shared/ never imports a Worker;  Workers never import each other;  no circular imports.

/** Packages and runtime modules that are I/O, a framework or the Worker context: never in domain code. */
const IMPURE_PACKAGES = '(^|/)node_modules/(hono|drizzle-orm|@neondatabase|@upstash|toucan-js)/|^cloudflare:';
/** shared/ modules that do I/O or need the request context (the rest of shared/ is pure and fine in a domain). */
const IMPURE_SHARED =
  '^shared/(app|health|dependencies|redis|deadline|service-client|policy-client|sentry)\\.ts$|^shared/db/|^shared/admin/(authorize|credentials)\\.ts$|^shared/events/sink\\.ts$|^shared/rate-limit/(limiter|create)\\.ts$';
/** Layers that are not the domain: HTTP handlers, storage adapters, Durable Object classes, a Worker's roots. */
const NOT_DOMAIN = '/(handlers|storage|durable-objects)/|^workers/[^/]+/src/(routes|services|index|env)\\.ts$';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle means two modules cannot be understood (or tested) apart.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment:
        'domain/ takes inputs and returns decisions: no storage, handlers, Hono, Cloudflare APIs or Worker context.',
      from: { path: '/domain/' },
      to: { path: [IMPURE_PACKAGES, IMPURE_SHARED, NOT_DOMAIN] },
    },
    {
      name: 'domain-not-capability-services',
      severity: 'error',
      comment: 'A capability root module (a key ring, the active policy) keeps state and does I/O: not for domain/.',
      from: { path: '^workers/[^/]+/src/.*/domain/' },
      to: { path: '^workers/[^/]+/src/', pathNot: '/domain/|/variables\\.ts$' },
    },
    {
      name: 'storage-implements-domain-interfaces',
      severity: 'error',
      comment: 'Storage adapters implement interfaces declared beside the domain: they may import its types only.',
      from: { path: '/storage/' },
      to: { path: '/domain/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'storage-below-handlers',
      severity: 'error',
      comment: 'Storage is called by handlers and services, never the other way round.',
      from: { path: '/storage/' },
      to: { path: '/handlers/|^workers/[^/]+/src/(routes|services|index)\\.ts$' },
    },
    {
      name: 'handlers-below-routes',
      severity: 'error',
      comment: 'Routes wire handlers; a handler does not reach back to the routes or the entrypoint.',
      from: { path: '/handlers/' },
      to: { path: '^workers/[^/]+/src/(routes|index)\\.ts$' },
    },
    {
      name: 'shared-imports-no-worker',
      severity: 'error',
      comment: 'shared/ is what every Worker builds on; it must not depend on any one of them.',
      from: { path: '^shared/' },
      to: { path: '^workers/' },
    },
    {
      name: 'workers-import-no-other-worker',
      severity: 'error',
      comment: 'Workers talk over service bindings; code two Workers need belongs in shared/.',
      from: { path: '^workers/([^/]+)/' },
      to: { path: '^workers/', pathNot: '^workers/$1/' },
    },
    {
      name: 'source-imports-no-test',
      severity: 'error',
      from: { path: '^(shared|workers/[^/]+/src)/', pathNot: '/test/' },
      to: { path: '/test/' },
    },
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
