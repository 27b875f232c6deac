import { createExecutionContext, env, SELF, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CSP, FIXED_HEADERS, socketInjectedHeaders } from '../security-headers.js';
import app from '../../test/workerd/shared-worker.js';

const base = 'https://svc.test';

describe('service app: error model', () => {
  it('answers an unknown route with 404 problem+json', async () => {
    const res = await SELF.fetch(`${base}/nowhere`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 404, title: 'Not Found', code: 'ERR_NOT_FOUND', instance: '/nowhere' });
    expect(body.type).toBe('urn:edge-security:error:not-found');
    expect(body.request_id).toBe(res.headers.get('x-request-id'));
  });

  it('answers a wrong method with 405 and an Allow header', async () => {
    const res = await SELF.fetch(`${base}/items/7`, { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')?.split(', ').sort()).toEqual(['DELETE', 'GET', 'HEAD']);
    // A path that only matches a route pattern loosely is still a 404.
    expect((await SELF.fetch(`${base}/items/abc`, { method: 'POST' })).status).toBe(404);
    expect((await SELF.fetch(`${base}/health`, { method: 'DELETE' })).status).toBe(405);
  });

  it('rejects a body over the limit with 413, by header and while streaming', async () => {
    const big = JSON.stringify({ x: 'a'.repeat(4096) });
    const res = await SELF.fetch(`${base}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: big,
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { code: string }).code).toBe('ERR_BODY_TOO_LARGE');
    // No Content-Length: a stream must still be cut off at the limit.
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 8; i++) controller.enqueue(new TextEncoder().encode('a'.repeat(1024)));
        controller.close();
      },
    });
    const chunked = await SELF.fetch(`${base}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      // @ts-expect-error workerd needs duplex for streamed bodies in some versions
      duplex: 'half',
    });
    expect(chunked.status).toBe(413);
  });

  it('rejects malformed JSON with 400 and the wrong media type with 415', async () => {
    const res = await SELF.fetch(`${base}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe('ERR_MALFORMED_BODY');
    const wrongType = await SELF.fetch(`${base}/echo`, { method: 'POST', body: 'a=b' });
    expect(wrongType.status).toBe(415);
    const ok = await SELF.fetch(`${base}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: '{"a":[1,2]}',
    });
    expect(await ok.json()).toEqual({ received: { a: [1, 2] } });
  });

  it('rejects JSON nested deeper than the limit', async () => {
    const deep = `${'['.repeat(40)}${']'.repeat(40)}`;
    const res = await SELF.fetch(`${base}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: deep,
    });
    expect(res.status).toBe(400);
  });

  it('answers OAuth paths in RFC 6749 format, including shared failures', async () => {
    const res = await SELF.fetch(`${base}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=password',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({
      error: 'unsupported_grant_type',
      error_description: 'only client_credentials is supported',
    });
    const dup = await SELF.fetch(`${base}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=a&grant_type=b',
    });
    expect(dup.status).toBe(400);
    expect(((await dup.json()) as { error: string }).error).toBe('invalid_request');
    const json = await SELF.fetch(`${base}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"grant_type":"client_credentials"}',
    });
    expect(json.status).toBe(415);
    expect(((await json.json()) as { error: string }).error).toBe('invalid_request');
  });

  it('turns an unexpected exception into a 500 with an error id', async () => {
    const res = await SELF.fetch(`${base}/boom`);
    expect(res.status).toBe(500);
    const body = (await res.json()) as { code: string; error_id: string; detail: string };
    expect(body.code).toBe('ERR_INTERNAL');
    expect(body.error_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.detail).not.toContain('kaboom');
  });

  it('carries validation details as problem extensions', async () => {
    const res = await SELF.fetch(`${base}/validate`, { method: 'POST' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'ERR_VALIDATION', detail: 'name is required', field: 'name' });
  });
});

describe('service app: headers, request ids, CORS', () => {
  it('sets security headers and no-store unless the handler chose caching', async () => {
    const res = await SELF.fetch(`${base}/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('strict-transport-security')).toContain('max-age=');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.headers.get('cache-control')).toBe('no-store');
    const pub = await SELF.fetch(`${base}/public`);
    expect(pub.headers.get('cache-control')).toBe('public, max-age=60');
  });

  it('sends a pre-secured JSON answer with exactly the headers c.json gets from the middleware', async () => {
    const headersOf = async (path: string, init?: RequestInit) => {
      const res = await SELF.fetch(`${base}${path}`, init);
      return { status: res.status, body: await res.text(), headers: [...res.headers].sort() };
    };
    for (const [viaHono, preSecured] of [
      ['/answer/c-json', '/answer/secure-json'],
      ['/answer/c-json-pragma', '/answer/secure-json-pragma'],
    ] as const) {
      const inits: RequestInit[] = [
        { headers: { 'x-request-id': 'same-id' } },
        { headers: { 'x-request-id': 'same-id', origin: 'https://console.example.com' } },
      ];
      for (const init of inits) {
        const expected = await headersOf(viaHono, init);
        expect(expected.headers.map(([k]) => k)).toEqual(expect.arrayContaining(['x-frame-options', 'cache-control']));
        expect(await headersOf(preSecured, init)).toEqual(expected);
      }
    }
    // Twice from one isolate: the template the responses are copied from is not changed by a response.
    const first = await SELF.fetch(`${base}/answer/secure-json`, { headers: { 'x-request-id': 'one' } });
    const second = await SELF.fetch(`${base}/answer/secure-json`, { headers: { 'x-request-id': 'two' } });
    expect([first.headers.get('x-request-id'), second.headers.get('x-request-id')]).toEqual(['one', 'two']);
    expect(second.headers.get('pragma')).toBeNull();
  });

  // Self-hosted, the socket injects the fixed headers (scripts/lib/workerd-config.mjs) and the Worker leaves them
  // out. The attack: the same variable set on Cloudflare, where nothing injects, to strip a response's headers.
  it('leaves the fixed headers to a socket that injects them, and only outside Cloudflare', async () => {
    const all = FIXED_HEADERS.map(([k]) => k).join(',');
    const headersWith = async (bindings: Record<string, string>, path: string) => {
      const ctx = createExecutionContext();
      const res = await app.fetch(new Request(`${base}${path}`), { ...env, ...bindings }, ctx);
      await waitOnExecutionContext(ctx);
      expect(res.ok).toBe(true);
      return res.headers;
    };
    for (const path of ['/health', '/answer/secure-json', '/answer/secure-json-pragma']) {
      const selfHosted = await headersWith({ RUNTIME: 'workerd', SOCKET_SECURITY_HEADERS: all }, path);
      for (const [k] of FIXED_HEADERS) expect(selfHosted.get(k), `${path} ${k}`).toBeNull();
      // What a handler may choose is never left to the socket.
      expect(selfHosted.get('content-security-policy')).toBe(DEFAULT_CSP);
      expect(selfHosted.get('cache-control')).toBe('no-store');
      expect(selfHosted.get('x-request-id')).not.toBeNull();
      // On Cloudflare (no RUNTIME binding) the variable changes nothing.
      const onCloudflare = await headersWith({ SOCKET_SECURITY_HEADERS: all }, path);
      for (const [k, v] of FIXED_HEADERS) expect(onCloudflare.get(k), `${path} ${k}`).toBe(v);
    }
    // Only the names listed, and only fixed ones: the CSP and caching cannot be handed to a socket.
    const some = await headersWith(
      { RUNTIME: 'workerd', SOCKET_SECURITY_HEADERS: 'X-Frame-Options, content-security-policy,cache-control,x-bogus' },
      '/health',
    );
    expect(some.get('x-frame-options')).toBeNull();
    expect(some.get('x-content-type-options')).toBe('nosniff');
    expect(some.get('content-security-policy')).toBe(DEFAULT_CSP);
    expect(some.get('cache-control')).toBe('no-store');
    expect([
      ...socketInjectedHeaders({ RUNTIME: 'workerd', SOCKET_SECURITY_HEADERS: 'x-frame-options,cache-control' }),
    ]).toEqual(['x-frame-options']);
    expect(socketInjectedHeaders({ SOCKET_SECURITY_HEADERS: all }).size).toBe(0);
    expect(socketInjectedHeaders({ RUNTIME: '', SOCKET_SECURITY_HEADERS: all }).size).toBe(0);
  });

  it('accepts a well-formed x-request-id and replaces a malformed one', async () => {
    const res = await SELF.fetch(`${base}/health`, { headers: { 'x-request-id': 'abc-123' } });
    expect(res.headers.get('x-request-id')).toBe('abc-123');
    const bad = await SELF.fetch(`${base}/health`, { headers: { 'x-request-id': 'no spaces\tallowed' } });
    expect(bad.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('denies CORS to unlisted origins and allows listed ones', async () => {
    const denied = await SELF.fetch(`${base}/health`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    });
    expect(denied.status).toBe(403);
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
    const simple = await SELF.fetch(`${base}/health`, { headers: { origin: 'https://evil.example' } });
    expect(simple.headers.get('access-control-allow-origin')).toBeNull();
    const pre = await SELF.fetch(`${base}/health`, {
      method: 'OPTIONS',
      headers: { origin: 'https://console.example.com', 'access-control-request-method': 'POST' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://console.example.com');
    const allowed = await SELF.fetch(`${base}/health`, { headers: { origin: 'https://console.example.com' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://console.example.com');
  });
});

describe('service app: health, readiness, metrics', () => {
  it('/health does no I/O and /ready names every failed component', async () => {
    const health = await SELF.fetch(`${base}/health`);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    const started = Date.now();
    const ready = await SELF.fetch(`${base}/ready`);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { failed: string[]; components: Record<string, { status: string }> };
    expect(body.failed.sort()).toEqual(['postgres', 'redis']);
    expect(body.components.postgres?.status).toBe('down');
    // Statuses and latencies only: a driver's error text never reaches the unauthenticated body.
    for (const component of Object.values(body.components)) {
      expect(Object.keys(component).sort()).toEqual(['latency_ms', 'status']);
    }
    // Within READY_CACHE_MS the same result is served again, without dialling anything.
    const again = await SELF.fetch(`${base}/ready`);
    expect(((await again.json()) as { components: unknown }).components).toEqual(body.components);
    const metrics = await SELF.fetch(`${base}/metrics`, {
      headers: { authorization: 'Bearer metrics-token-for-tests-only' },
    });
    expect(await metrics.text()).toMatch(/esp_dependency_up\{service="monitor",component="postgres"\} 0/);
  });

  it('/metrics requires the bearer token and reports requests by route and status', async () => {
    expect((await SELF.fetch(`${base}/metrics`)).status).toBe(401);
    expect(
      (await SELF.fetch(`${base}/metrics`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status,
    ).toBe(401);
    await SELF.fetch(`${base}/items/1`);
    const res = await SELF.fetch(`${base}/metrics`, {
      headers: { authorization: 'Bearer metrics-token-for-tests-only' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(
      /http_requests_total\{service="monitor",method="GET",route="\/items\/:id\{\[0-9\]\+\}",status="200"\} \d+/,
    );
    expect(text).toContain('# TYPE http_request_duration_seconds histogram');
    expect(text).toMatch(/http_request_duration_seconds_bucket\{[^}]*le="\+Inf"\} \d+/);
  });
});
