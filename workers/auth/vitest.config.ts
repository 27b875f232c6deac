import { fileURLToPath } from 'node:url';
import { workerTestConfig } from '../../test/workerd/stand-ins.js';

const here = fileURLToPath(new URL('.', import.meta.url));

// The auth Worker's unit tests, inside workerd with the Worker's own wrangler.toml. Pure modules are tested
// directly; SELF requests exercise routes that need no Postgres or Redis (those are covered black-box in
// test/node against the real data plane). Nothing listens on port 9, so an accidental I/O fails loudly.
export default workerTestConfig({
  root: here,
  wranglerConfig: `${here}wrangler.toml`,
  bindings: {
    ISSUER: 'https://auth.example.com',
    KEY_ENCRYPTION_KEY: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=',
    CLIENT_CACHE_MAC_KEY: 'ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=',
    REGISTRATION_TOKEN: 'registration-token-for-unit-tests',
    SCOPES_SUPPORTED: 'read write',
    ADMIN_BOOTSTRAP_TOKEN: 'bootstrap-token-for-unit-tests',
    SERVICE_TIMEOUT_MS: '300',
  },
  // Stand-ins for the services wrangler.toml binds. The policy one answers according to the propagated
  // x-request-id, so the fail-closed caller can be driven through every kind of answer; the real policy
  // Worker is exercised by the black-box tests (test/node).
  workers: [
    {
      name: 'edge-security-policy',
      modules: true,
      script: `export default {
              async fetch(request) {
                const id = request.headers.get('x-request-id');
                const decision = (d) => Response.json({ decision: d, request_id: id, policy_version: 1, reasons: [], errors: [] });
                if (id === 'policy-allow') return decision('Allow');
                if (id === 'policy-deny') return decision('Deny');
                if (id === 'policy-odd') return decision('allow');
                if (id === 'policy-slow') await new Promise((r) => setTimeout(r, 5000));
                return new Response('boom', { status: 500 });
              },
            };`,
    },
  ],
  include: ['test/**/*.test.ts'],
  // The auth machines on every keyed-state backend, with the real data plane: test/keyed-state/vitest.config.ts.
  exclude: ['test/keyed-state/**'],
});
