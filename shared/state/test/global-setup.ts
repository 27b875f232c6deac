/**
 * Runs in Node before the in-workerd suites: the real data plane (the machine's Redis behind the project's
 * Upstash-protocol bridge, with a fresh key prefix), and a TCP server that accepts connections and never answers
 * (to show a hung store becomes a timeout, not a hang). Requires `npm run build` (dist/dataplane).
 */
import { createServer, type Socket } from 'node:net';
import type { TestProject } from 'vitest/node';
import { startTestDataPlane } from '../../../test/node/harness.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisRestUrl: string;
    /** The test-only state Worker's token: the keyed-state grant, as a Worker hosting state has it. */
    redisStateToken: string;
    /** The tests' own token, to read and plant raw values (test/node/harness.ts TEST_REDIS_GRANT). */
    redisTestToken: string;
    redisPrefix: string;
    hangingUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const dp = await startTestDataPlane();
  const sockets = new Set<Socket>();
  const hanging = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
  const address = hanging.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  project.provide('redisRestUrl', dp.redisRestUrl);
  project.provide('redisStateToken', dp.redisTokens['state-tests'] as string);
  project.provide('redisTestToken', dp.redisTokens.tests as string);
  project.provide('redisPrefix', dp.redisPrefix);
  project.provide('hangingUrl', `http://127.0.0.1:${port}`);
  return async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => hanging.close(resolve));
    await dp.stop();
  };
}
