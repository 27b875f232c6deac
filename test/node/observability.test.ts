/**
 * Issue 2, black-box: an unexpected failure is a 500 with an error id that reaches Sentry through toucan-js, a
 * broken configuration makes /ready name it, and x-request-id / traceparent travel across service bindings.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import SECURITY_HEADERS from '../../shared/security-headers.json';
import { type Platform, startPlatform } from './harness.js';

let sentry: Server;
const envelopes: string[] = [];
let platform: Platform;
const BOOTSTRAP = 'observability-bootstrap-token-0123456789abcdef';

beforeAll(async () => {
  // A stand-in Sentry ingestion endpoint: toucan-js POSTs envelopes to /api/<project>/envelope/.
  sentry = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      if (req.url?.startsWith('/api/42/envelope/')) envelopes.push(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => sentry.listen(0, '127.0.0.1', resolve));
  const port = (sentry.address() as AddressInfo).port;
  platform = await startPlatform({
    env: {
      SENTRY_DSN: `http://0123456789abcdef0123456789abcdef@127.0.0.1:${port}/42`,
      LOG_REQUESTS: 'true',
      ISSUER: 'http://127.0.0.1:8080',
      KEY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
      ADMIN_BOOTSTRAP_TOKEN: BOOTSTRAP,
    },
  });
}, 90_000);

afterAll(async () => {
  await platform?.stop();
  await new Promise((resolve) => sentry?.close(resolve));
});

async function eventually<T>(fn: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('request identity across service bindings', () => {
  it('forwards x-request-id and traceparent from auth to policy and logs both sides', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const res = await fetch(`${platform.urls.auth}/admin/keys/rotate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BOOTSTRAP}`, 'x-request-id': 'trace-me-0001', traceparent },
    });
    expect(res.headers.get('x-request-id')).toBe('trace-me-0001');
    expect(res.status, await res.clone().text()).toBe(200);
    const lines = await eventually(() => {
      const parsed = platform
        .logs()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.request_id === 'trace-me-0001' && l.msg === 'request');
      return parsed.length >= 2 ? parsed : undefined;
    });
    const services = lines.map((l) => l.service).sort();
    expect(services).toEqual(['auth', 'policy']);
    for (const line of lines) {
      expect(line).toMatchObject({ method: 'POST', status: 200, traceparent });
      expect(typeof line.duration_ms).toBe('number');
      expect(typeof line.route).toBe('string');
    }
  });
});

// Self-hosted, each socket injects the fixed security headers and the Workers leave them out
// (shared/security-headers.ts). Whatever path a response takes, each header must arrive exactly once with our value:
// fetch joins repeated headers with ", ", so an exact match also proves there is one. The handler-chosen two (CSP,
// caching) stay the Worker's: the login page keeps its own CSP.
describe('security headers under workerd', () => {
  const fixed = Object.entries(SECURITY_HEADERS.fixed);
  const expectSecured = (
    res: Response,
    what: string,
    csp: (v: string | null) => boolean = (v) => v === SECURITY_HEADERS.defaultCsp,
  ) => {
    for (const [k, v] of fixed) expect(res.headers.get(k), `${what}: ${k}`).toBe(v);
    expect(csp(res.headers.get('content-security-policy')), `${what}: content-security-policy`).toBe(true);
    expect(res.headers.get('cache-control'), `${what}: cache-control`).not.toBeNull();
    expect(res.headers.get('x-request-id'), `${what}: x-request-id`).not.toBeNull();
  };

  it('carries every security header once on every kind of response of every Worker', async () => {
    for (const [name, base] of Object.entries(platform.urls)) {
      expectSecured(await fetch(`${base}/health`), `${name} /health`);
      expectSecured(await fetch(`${base}/no-such-route`), `${name} 404`);
    }
    // A pre-secured JSON answer (a decision) and an OAuth error.
    const decision = await fetch(`${platform.urls.policy}/v1/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${platform.env.POLICY_API_TOKEN}` },
      body: JSON.stringify({
        principal: { type: 'Admin', id: 'a' },
        action: 'Admin::keys_rotate',
        resource: { type: 'AdminEndpoint', id: 'keys' },
        context: {},
      }),
    });
    expect(decision.status, await decision.clone().text()).toBe(200);
    expectSecured(decision, 'decision');
    const oauthError = await fetch(`${platform.urls.auth}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    expect(oauthError.status).toBe(401);
    expectSecured(oauthError, 'token error');
    // An HTML page with a CSP of its own.
    const page = await fetch(`${platform.urls.auth}/login`);
    expect(page.headers.get('content-type')).toContain('text/html');
    expectSecured(page, 'login page', (v) => Boolean(v?.includes('nonce-')) && !v?.includes(', '));
  });
});

describe('unexpected failures', () => {
  it('answers 503 with an error id, reports it to Sentry, and /ready names the broken configuration', async () => {
    await platform.restartWorkerd({ MAX_BODY_BYTES: 'lots' });
    const res = await fetch(`${platform.urls.policy}/v1/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    // A misconfigured Worker fails closed: 503 (not a bug's 500), still with an error id and a Sentry report.
    expect(res.status).toBe(503);
    const problem = (await res.json()) as { error_id: string; code: string };
    expect(problem.code).toBe('ERR_MISCONFIGURED');
    const envelope = await eventually(() => envelopes.find((e) => e.includes(problem.error_id)));
    expect(envelope).toContain('MAX_BODY_BYTES');
    expect(envelope).toContain('"service":"policy"');

    const ready = await fetch(`${platform.urls.policy}/ready`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { failed: string[]; detail: string };
    expect(body.failed).toEqual(['config']);
    expect(body.detail).toContain('MAX_BODY_BYTES');
    // Liveness does not depend on configuration.
    expect((await fetch(`${platform.urls.policy}/health`)).status).toBe(200);
  });

  it("names a missing Worker-specific variable at /ready (the auth Worker's key-encryption key)", async () => {
    await platform.restartWorkerd({ MAX_BODY_BYTES: '65536', KEY_ENCRYPTION_KEY: '' });
    const ready = await fetch(`${platform.urls.auth}/ready`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { failed: string[]; detail: string };
    expect(body.failed).toEqual(['config']);
    expect(body.detail).toContain('KEY_ENCRYPTION_KEY');
    // Workers whose own configuration is complete stay ready.
    expect((await fetch(`${platform.urls.policy}/ready`)).status).toBe(200);
  });

  it('validates the whole configuration at /ready, rate limits and the state backend included', async () => {
    const kek = Buffer.alloc(32, 7).toString('base64');
    const broken: [string, string][] = [
      ['RATE_LIMIT_TOKEN_CAPACITY', '0'],
      ['RATE_LIMIT_IP_REGISTER_REFILL_PER_SECOND', 'fast'],
      ['STATE_BACKEND', 'memcached'],
    ];
    for (const [name, value] of broken) {
      await platform.restartWorkerd({ MAX_BODY_BYTES: '65536', KEY_ENCRYPTION_KEY: kek, [name]: value });
      const ready = await fetch(`${platform.urls.auth}/ready`);
      expect(ready.status, name).toBe(503);
      const body = (await ready.json()) as { failed: string[]; detail: string };
      expect(body.failed).toEqual(['config']);
      expect(body.detail).toMatch(new RegExp(`^not ready: configuration variable ${name} `));
      await platform.restartWorkerd({ [name]: '' });
    }
    expect((await fetch(`${platform.urls.auth}/ready`)).status).toBe(200);
  });
});
