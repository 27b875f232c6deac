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
  include: ['test/**/*.test.ts'],
});
