/**
 * A request body that breaks off or has invalid chunked framing is a malformed request: 400, never 500, on every
 * route that reads a body, in every Worker. The requests are written byte by byte on a raw socket and the write
 * side is half-closed, so the Worker sees exactly the broken framing (a fetch client would refuse to send it).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawHttp } from './security-helpers.js';
import { register, startTokenPlatform, type TokenPlatform } from './token-helpers.js';

const POLICY_API_TOKEN = randomBytes(32).toString('base64url');

let tp: TokenPlatform;
let clientUri: string;
let registrationAccessToken: string;

beforeAll(async () => {
  tp = await startTokenPlatform({ POLICY_API_TOKEN });
  const client = await register(tp, { scope: 'read' });
  clientUri = new URL(client.registration_client_uri).pathname;
  registrationAccessToken = client.registration_access_token;
});

afterAll(async () => {
  await tp?.stop();
});

interface Route {
  worker: 'auth' | 'policy' | 'admin' | 'monitor';
  method: string;
  path: string;
  type: string;
  /** The start of a plausible body (what a real client would have been sending when the framing broke). */
  body: string;
  authorization?: () => string;
}

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';

const routes = (): Route[] => [
  {
    worker: 'auth',
    method: 'POST',
    path: '/oauth/token',
    type: FORM,
    body: 'grant_type=client_credentials&scope=read',
  },
  { worker: 'auth', method: 'POST', path: '/oauth/introspect', type: FORM, body: 'token=eyJhbGciOiJFUzI1NiJ9.e30.x' },
  { worker: 'auth', method: 'POST', path: '/oauth/revoke', type: FORM, body: 'token=eyJhbGciOiJFUzI1NiJ9.e30.x' },
  {
    worker: 'auth',
    method: 'POST',
    path: '/oauth/register',
    type: JSON_TYPE,
    body: '{"client_name":"framing","scope":"read"}',
    authorization: () => `Bearer ${tp.registrationToken}`,
  },
  {
    worker: 'auth',
    method: 'PUT',
    path: clientUri,
    type: JSON_TYPE,
    body: '{"client_name":"framing","scope":"read"}',
    authorization: () => `Bearer ${registrationAccessToken}`,
  },
  {
    worker: 'auth',
    method: 'POST',
    path: '/admin/keys/rotate',
    type: JSON_TYPE,
    body: '{"immediate":false}',
    authorization: () => `Bearer ${tp.adminToken}`,
  },
  {
    worker: 'policy',
    method: 'POST',
    path: '/v1/authorize',
    type: JSON_TYPE,
    body: '{"principal":{"type":"Admin","id":"a"},"action":"Admin::keys_rotate","resource":{"type":"AdminEndpoint","id":"keys"}}',
    authorization: () => `Bearer ${POLICY_API_TOKEN}`,
  },
  {
    worker: 'policy',
    method: 'POST',
    path: '/v1/authorize/batch',
    type: JSON_TYPE,
    body: '{"requests":[{"principal":{"type":"Admin","id":"a"},"action":"Admin::keys_rotate","resource":{"type":"AdminEndpoint","id":"keys"}}]}',
    authorization: () => `Bearer ${POLICY_API_TOKEN}`,
  },
  {
    worker: 'policy',
    method: 'POST',
    path: '/v1/policies/versions',
    type: JSON_TYPE,
    body: '{"policies":"permit(principal, action, resource);","comment":"framing"}',
    authorization: () => `Bearer ${tp.adminToken}`,
  },
  {
    worker: 'policy',
    method: 'PUT',
    path: '/v1/entities/Resource/framing',
    type: JSON_TYPE,
    body: '{"attrs":{"sensitive":false}}',
    authorization: () => `Bearer ${tp.adminToken}`,
  },
];

interface Framing {
  name: string;
  /** Framing headers and the bytes that follow the header block. */
  build(body: string): { headers: string[]; rest: string };
}

const hex = (n: number) => n.toString(16);

const framings: Framing[] = [
  {
    name: 'Content-Length longer than the body, then FIN',
    build: (body) => ({ headers: [`content-length: ${body.length + 64}`], rest: body }),
  },
  {
    name: 'chunked: a chunk size that is not hex',
    build: (body) => ({ headers: ['transfer-encoding: chunked'], rest: `zz\r\n${body}\r\n0\r\n\r\n` }),
  },
  {
    name: 'chunked: a chunk size that overflows',
    build: (body) => ({
      headers: ['transfer-encoding: chunked'],
      rest: `fffffffffffffffffffffff\r\n${body}\r\n0\r\n\r\n`,
    }),
  },
  {
    name: 'chunked: a chunk cut short, then FIN',
    build: (body) => ({ headers: ['transfer-encoding: chunked'], rest: `${hex(body.length + 64)}\r\n${body}` }),
  },
  {
    name: 'chunked: no terminating zero-size chunk, then FIN',
    build: (body) => ({ headers: ['transfer-encoding: chunked'], rest: `${hex(body.length)}\r\n${body}\r\n` }),
  },
  {
    name: 'chunked: chunk data not followed by CRLF',
    build: (body) => ({ headers: ['transfer-encoding: chunked'], rest: `${hex(body.length)}\r\n${body}XX0\r\n\r\n` }),
  },
];

function address(worker: Route['worker']): string {
  return new URL(tp.platform.urls[worker]).host;
}

async function send(route: Route, framing: Framing) {
  const { headers, rest } = framing.build(route.body);
  const lines = [
    `${route.method} ${route.path} HTTP/1.1`,
    `host: ${address(route.worker)}`,
    `content-type: ${route.type}`,
    'connection: close',
    ...headers,
  ];
  if (route.authorization) lines.push(`authorization: ${route.authorization()}`);
  return rawHttp(address(route.worker), `${lines.join('\r\n')}\r\n\r\n${rest}`);
}

describe('broken request framing is a 400 on every route that reads a body', () => {
  it('answers 400 (never 500, never a dropped connection) for every route and every broken framing', async () => {
    const wrong: string[] = [];
    for (const route of routes()) {
      for (const framing of framings) {
        const res = await send(route, framing);
        if (res.status !== 400) {
          const detail = res.body.replace(/\s+/g, ' ').slice(0, 160);
          wrong.push(`${route.worker} ${route.method} ${route.path} [${framing.name}] → ${res.status}: ${detail}`);
        }
      }
    }
    expect(wrong, `routes that did not answer 400:\n${wrong.join('\n')}`).toEqual([]);
  }, 180_000);

  it('routes of the admin and monitor Workers never answer 5xx to broken framing either', async () => {
    // These Workers read no body yet (their routes are GET); a body sent to them must still not break them.
    const wrong: string[] = [];
    for (const worker of ['admin', 'monitor'] as const) {
      for (const framing of framings) {
        const res = await send({ worker, method: 'POST', path: '/ready', type: JSON_TYPE, body: '{"a":1}' }, framing);
        if (res.status === null || res.status >= 500) wrong.push(`${worker} [${framing.name}] → ${res.status}`);
      }
    }
    expect(wrong, wrong.join('\n')).toEqual([]);
  }, 60_000);
});
