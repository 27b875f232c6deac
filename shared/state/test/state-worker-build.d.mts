// Types for state-worker-build.mjs, so TypeScript tests can import it.
export const STATE_WORKER_ENV: string[];
export function buildStateWorker(dir: string): Promise<string>;
