/**
 * The decision API over HTTP (SELF, the real Worker with its wrangler.toml): caller authentication, body
 * handling and limits are answered before the policy store is touched. The store is unreachable in this
 * environment (port 9), which also shows the fail-closed path: a valid request gets 503, never a decision.
 */
import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../src/domain/limits.js';

const TOKEN = 'policy-api-token-for-unit-tests';

function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return SELF.fetch(`https://policy.internal${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** `{n: {n: ... {leaf: 1}}}` with `levels + 1` objects. */
const nest = (levels: number): Record<string, unknown> => (levels <= 0 ? { leaf: 1 } : { n: nest(levels - 1) });

const request = (extra: Record<string, unknown> = {}) => ({
  principal: { type: 'Admin', id: 'alice' },
  action: 'Admin::keys_rotate',
  resource: { type: 'AdminEndpoint', id: 'keys' },
  ...extra,
});

describe('caller authentication (POLICY_API_TOKEN configured)', () => {
  it('401 without the bearer token', async () => {
    const res = await post('/v1/authorize', request(), { authorization: '' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('Bearer');
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });

  it('401 with a wrong token, on single and batch', async () => {
    for (const path of ['/v1/authorize', '/v1/authorize/batch']) {
      const res = await post(path, { requests: [request()] }, { authorization: 'Bearer not-the-token-at-all' });
      expect(res.status).toBe(401);
    }
  });

  it('401 for near misses of the token: a prefix, an extension, one character changed', async () => {
    // The comparison runs over the configured token's length: a presented prefix must not match on the bytes it has.
    const nearMisses = [TOKEN.slice(0, -1), `${TOKEN}x`, `${TOKEN.slice(0, -1)}S`, TOKEN.slice(0, 1)];
    for (const token of nearMisses) {
      const res = await post('/v1/authorize', request(), { authorization: `Bearer ${token}` });
      expect(res.status, token).toBe(401);
    }
    // The store is unreachable here: the right token gets past authentication to the fail-closed 503.
    expect((await post('/v1/authorize', request())).status).toBe(503);
  });
});

describe('body handling', () => {
  it('415 for another media type', async () => {
    const res = await post('/v1/authorize', request(), { 'content-type': 'text/plain' });
    expect(res.status).toBe(415);
  });

  it('400 for malformed JSON', async () => {
    const res = await post('/v1/authorize', '{"principal": ');
    expect(res.status).toBe(400);
    expect((await res.json<{ code: string }>()).code).toBe('ERR_MALFORMED_BODY');
  });

  it('413 naming max_request_bytes for an oversized body', async () => {
    const res = await post('/v1/authorize', request({ context: { pad: 'x'.repeat(70_000) } }));
    expect(res.status).toBe(413);
    const body = await res.json<{ code: string; detail: string }>();
    expect(body.code).toBe('ERR_BODY_TOO_LARGE');
  });

  it('413 naming max_request_bytes when the length is not declared up front', async () => {
    const chunks = [new TextEncoder().encode(JSON.stringify(request({ context: { pad: 'x'.repeat(70_000) } })))];
    const stream = new ReadableStream({
      pull(controller) {
        const next = chunks.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
    const res = await SELF.fetch('https://policy.internal/v1/authorize', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: stream,
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ limit: 'max_request_bytes', max: 65536 });
  });
});

describe('the batch route has its own body limit, sized for its item limit', () => {
  /** A batch body of about `bytes` bytes (valid JSON; the limit is checked before anything else is). */
  const batchOf = (bytes: number) => JSON.stringify({ requests: [request({ context: { pad: 'x'.repeat(bytes) } })] });

  it('accepts a batch body above MAX_BODY_BYTES (64 KiB) and up to max_batch_request_bytes (1 MiB)', async () => {
    const res = await post('/v1/authorize/batch', batchOf(200_000));
    // Past the size checks: the item itself is refused by its own limits (a 4 KiB string), in place.
    expect(res.status).toBe(200);
    const body = await res.json<{ decisions: { error?: { limit?: string } }[] }>();
    expect(body.decisions[0]?.error?.limit).toBe('max_string_length');
  });

  it('413 naming max_batch_request_bytes beyond it, declared or streamed', async () => {
    const big = batchOf(LIMITS.max_batch_request_bytes + 10);
    const declared = await post('/v1/authorize/batch', big);
    expect(declared.status).toBe(413);
    expect(await declared.json()).toMatchObject({
      limit: 'max_batch_request_bytes',
      max: LIMITS.max_batch_request_bytes,
    });
    const chunks = [new TextEncoder().encode(big)];
    const streamed = await SELF.fetch('https://policy.internal/v1/authorize/batch', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: new ReadableStream({
        pull(controller) {
          const next = chunks.shift();
          if (next) controller.enqueue(next);
          else controller.close();
        },
      }),
    });
    expect(streamed.status).toBe(413);
    expect(await streamed.json()).toMatchObject({ limit: 'max_batch_request_bytes' });
  });

  it('a single decision keeps MAX_BODY_BYTES', async () => {
    const res = await post('/v1/authorize', request({ context: { pad: 'x'.repeat(100_000) } }));
    expect(res.status).toBe(413);
  });
});

describe('limits over HTTP → 400 problem+json naming the limit', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['max_context_keys', request({ context: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i])) })],
    [
      'max_entities',
      request({ entities: Array.from({ length: 101 }, (_, i) => ({ uid: { type: 'User', id: `u${i}` } })) }),
    ],
    ['max_entity_id_length', request({ resource: { type: 'AdminEndpoint', id: 'k'.repeat(513) } })],
    ['max_request_id_length', request({ request_id: 'r'.repeat(129) })],
    ['max_action_length', request({ action: `Admin::${'a'.repeat(300)}` })],
    ['max_string_length', request({ context: { note: 's'.repeat(4097) } })],
    ['max_json_depth', request({ context: nest(9) })],
  ];
  it.each(cases)('%s', async (limit, body) => {
    const res = await post('/v1/authorize', body);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const problem = await res.json<{ limit: string; max: number; detail: string; code: string }>();
    expect(problem.code).toBe('ERR_VALIDATION');
    expect(problem.limit).toBe(limit);
    expect(problem.max).toBe(LIMITS[limit as keyof typeof LIMITS]);
    expect(problem.detail).toContain(limit);
  });

  it('max_batch_size: 101 requests → 400 for the whole batch', async () => {
    const res = await post('/v1/authorize/batch', { requests: Array.from({ length: 101 }, () => request()) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ limit: 'max_batch_size', max: 100 });
  });

  it('a batch of only invalid items answers 200 with an error in place of each', async () => {
    const res = await post('/v1/authorize/batch', {
      requests: [
        request({ request_id: 'a', context: { note: 's'.repeat(5000) } }),
        { request_id: 'b', principal: 'nobody' },
        request({ request_id: 'c', entities: [{ uid: { type: 'Action', id: 'x' } }] }),
      ],
    });
    expect(res.status).toBe(200);
    const body = await res.json<{
      decisions: { request_id: string; error: { status: number; limit?: string; detail: string } }[];
    }>();
    expect(body.decisions.map((d) => d.request_id)).toEqual(['a', 'b', 'c']);
    expect(body.decisions.map((d) => d.error.status)).toEqual([400, 400, 400]);
    expect(body.decisions[0]?.error.limit).toBe('max_string_length');
    expect(body.decisions[1]?.error.detail).toMatch(/principal/);
    expect(body.decisions[2]?.error.detail).toMatch(/action entities/);
  });
});

describe('fail closed', () => {
  it('a valid request with the policy store unreachable gets 503, not a decision', async () => {
    const res = await post(
      '/v1/authorize',
      request({ entities: [{ uid: { type: 'Admin', id: 'alice' }, attrs: { roles: ['superadmin'] } }] }),
    );
    expect(res.status).toBe(503);
    const body = await res.json<{ code: string; decision?: string }>();
    expect(body.code).toBe('ERR_DEPENDENCY_UNAVAILABLE');
    expect(body.decision).toBeUndefined();
  });

  it('admin endpoints need an admin credential (401 before anything else)', async () => {
    const list = await SELF.fetch('https://policy.internal/v1/policies/versions');
    expect(list.status).toBe(401);
    const publish = await SELF.fetch('https://policy.internal/v1/policies/versions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ policies: 'permit(principal, action, resource);' }),
    });
    expect(publish.status).toBe(401);
  });

  it('unknown routes are 404 and wrong methods 405; only a decision request needs the caller token', async () => {
    expect((await SELF.fetch('https://policy.internal/v1/nope')).status).toBe(404);
    // The decision handlers check the token themselves (no middleware hop), so a wrong method is routed first: the
    // 405 names the methods of a documented route and decides nothing.
    for (const authorization of [`Bearer ${TOKEN}`, '']) {
      const get = await SELF.fetch('https://policy.internal/v1/authorize', { headers: { authorization } });
      expect(get.status).toBe(405);
      expect(get.headers.get('allow')).toBe('POST');
    }
    expect((await post('/v1/authorize', request(), { authorization: '' })).status).toBe(401);
    expect((await post('/v1/authorize/batch', { requests: [request()] }, { authorization: '' })).status).toBe(401);
  });
});
