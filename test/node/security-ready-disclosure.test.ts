/**
 * `/ready` is unauthenticated (Kubernetes probes it), so its body names only the failed component: never a driver's
 * error text, and never configuration values, least of all a DATABASE_URL with its password.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformEnvName } from '../../scripts/lib/workers.mjs';
import { type Platform, startPlatform } from './harness.js';

const WORKERS = ['auth', 'policy', 'admin', 'monitor'] as const;
const PASSWORD = `pw-${randomBytes(12).toString('hex')}`;

let p: Platform;

beforeAll(async () => {
  p = await startPlatform({
    env: { ISSUER: 'http://127.0.0.1:8080', KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64') },
  });
});

afterAll(async () => {
  await p?.stop();
});

async function readyBodies(): Promise<{ worker: string; status: number; text: string; body: any }[]> {
  return Promise.all(
    WORKERS.map(async (worker) => {
      const res = await fetch(`${p.urls[worker]}/ready`);
      const text = await res.text();
      return { worker, status: res.status, text, body: JSON.parse(text) };
    }),
  );
}

/** Components may report their status and latency; anything else (an `error` text) is disclosure. */
function extraComponentFields(body: any): string[] {
  const out: string[] = [];
  for (const [name, component] of Object.entries((body?.components ?? {}) as Record<string, object>)) {
    for (const key of Object.keys(component)) if (!['status', 'latency_ms'].includes(key)) out.push(`${name}.${key}`);
  }
  return out;
}

describe('/ready names the failed component and nothing else', () => {
  it('a malformed DATABASE_URL is reported as a configuration failure without the URL or its password', async () => {
    const url = `postgres://esp:${PASSWORD}@db.internal.example:notaport/esp`;
    await p.restartWorkerd({ DATABASE_URL: url });
    for (const r of await readyBodies()) {
      expect(r.status).toBe(503);
      expect(r.text, `${r.worker} /ready disclosed the password`).not.toContain(PASSWORD);
      expect(r.text, `${r.worker} /ready disclosed the host`).not.toContain('db.internal.example');
      expect(r.body.failed).toEqual(['config']);
    }
  });

  it("a driver's error text (Postgres and Redis) never reaches the body", async () => {
    const database = `esp_missing_${randomBytes(6).toString('hex')}`;
    const good = new URL(p.databaseUrl);
    good.pathname = `/${database}`;
    good.password = PASSWORD;
    // Each Worker's own Redis token variable (the one-process config binds UPSTASH_REDIS_REST_TOKEN_<WORKER>).
    const wrongTokens = Object.fromEntries(
      WORKERS.map((w) => [platformEnvName('UPSTASH_REDIS_REST_TOKEN', w), 'wrong-token-for-the-bridge']),
    );
    await p.restartWorkerd({ DATABASE_URL: good.toString(), ...wrongTokens });
    for (const r of await readyBodies()) {
      expect(r.status).toBe(503);
      expect(r.body.failed).toEqual(expect.arrayContaining(['postgres', 'redis']));
      expect(extraComponentFields(r.body), `${r.worker} /ready: ${r.text}`).toEqual([]);
      for (const leak of [database, PASSWORD, 'does not exist', 'Unauthorized', 'ECONNREFUSED']) {
        expect(r.text, `${r.worker} /ready disclosed "${leak}"`).not.toContain(leak);
      }
    }
  });
});
