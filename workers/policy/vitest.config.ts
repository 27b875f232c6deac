import { fileURLToPath } from 'node:url';
import { workerTestConfig } from '../../test/workerd/stand-ins.js';

const here = fileURLToPath(new URL('.', import.meta.url));
// The repository root, not this folder: the pool externalises .wasm imports as `<root>/<specifier>`, and the
// cedar-wasm module lives in the root node_modules (outside this folder it would be an unresolvable /@fs path).
const root = fileURLToPath(new URL('../..', import.meta.url));

// The policy Worker's unit tests, inside workerd with the Worker's own wrangler.toml (so the .wasm and .cedar
// modules load exactly as in the bundle). Decisions are tested through the engine modules the handlers call;
// SELF requests exercise what is answered before the policy store is touched (limits, malformed input,
// caller authentication). Everything that needs Postgres and Redis is covered black-box in test/node.
// Nothing listens on port 9, so an accidental store access fails loudly.
export default workerTestConfig({
  root,
  wranglerConfig: `${here}wrangler.toml`,
  bindings: {
    MAX_BODY_BYTES: '65536',
    POLICY_API_TOKEN: 'policy-api-token-for-unit-tests',
    SERVICE_TIMEOUT_MS: '300',
    // Reproduces a differential-test failure: POLICY_DIFF_SEED=<seed> npx vitest run --config ...
    POLICY_DIFF_SEED: process.env.POLICY_DIFF_SEED ?? '',
  },
  serviceBindings: { ODD_POLICY: 'odd-policy' },
  workers: [
    // Answers like a broken policy service, chosen by x-request-id, to drive shared/policy-client.ts
    // through every kind of bad answer (the real policy Worker's failures are covered in test/node).
    {
      name: 'odd-policy',
      modules: true,
      script: `export default {
              async fetch(request) {
                const id = request.headers.get('x-request-id');
                const ok = { decision: 'Allow', request_id: id, policy_version: 3, reasons: ['p'], errors: [] };
                if (id === 'allow') return Response.json(ok);
                if (id === 'deny') return Response.json({ ...ok, decision: 'Deny', reasons: [] });
                if (id === 'lowercase') return Response.json({ ...ok, decision: 'allow' });
                if (id === 'no-version') return Response.json({ decision: 'Allow', reasons: [], errors: [] });
                if (id === 'not-json') return new Response('Allow', { status: 200 });
                if (id === 'http-500') return new Response('boom', { status: 500 });
                if (id === 'http-400') return Response.json({ status: 400 }, { status: 400 });
                if (id === 'slow') await new Promise((r) => setTimeout(r, 3000));
                if (id === 'token') return Response.json({ ...ok, reasons: [request.headers.get('authorization') ?? ''] });
                return Response.json(ok);
              },
            };`,
    },
  ],
  include: ['workers/policy/test/**/*.test.ts'],
  testTimeout: 60_000,
});
