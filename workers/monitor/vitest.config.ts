import { fileURLToPath } from 'node:url';
import { workerTestConfig } from '../../test/workerd/stand-ins.js';

const here = fileURLToPath(new URL('.', import.meta.url));

// The monitor Worker's unit tests, inside workerd with the Worker's own wrangler.toml: the pure detection,
// alerting and webhook modules (including the Standard Webhooks library running in the Workers runtime).
// Nothing listens on port 9, so an accidental I/O fails loudly.
export default workerTestConfig({
  root: here,
  wranglerConfig: `${here}wrangler.toml`,
  bindings: {},
  // wrangler.toml binds the policy Worker (the monitor API's decisions): a stand-in that refuses everything, since
  // these tests send no requests to it (the API is tested black-box in test/node/monitor.test.ts).
  workers: [
    {
      name: 'edge-security-policy',
      modules: true,
      script: 'export default { fetch() { return new Response("no decisions here", { status: 500 }); } };',
    },
  ],
  include: ['test/**/*.test.ts'],
});
