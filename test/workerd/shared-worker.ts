/**
 * A Worker built only from shared/ pieces, so the shared behaviour (error model, limits, headers, CORS, metrics,
 * readiness) is tested inside workerd exactly as every service gets it.
 */
import { type BaseServices, createServiceApp } from '../../shared/app.js';
import { readFormBody, readJsonBody } from '../../shared/body.js';
import { createDependencies } from '../../shared/dependencies.js';
import { type CommonBindings, readCommonConfig } from '../../shared/env.js';
import { OAuthError, validationFailed } from '../../shared/errors.js';
import { secureJson } from '../../shared/security-headers.js';

const { app } = createServiceApp<CommonBindings, BaseServices>({
  service: 'monitor',
  oauthPaths: ['/oauth/token'],
  buildServices(env) {
    const config = readCommonConfig(env);
    return { config, deps: createDependencies(config, 'monitor') };
  },
});

app.post('/echo', async (c) =>
  c.json({ received: await readJsonBody(c.req.raw, c.get('services').config.MAX_BODY_BYTES) }),
);
app.post('/oauth/token', async (c) => {
  const form = await readFormBody(c.req.raw, c.get('services').config.MAX_BODY_BYTES);
  if (!form.has('grant_type')) throw new OAuthError('invalid_request', 'grant_type is required');
  throw new OAuthError('unsupported_grant_type', 'only client_credentials is supported');
});
app.get('/items/:id{[0-9]+}', (c) => c.json({ id: c.req.param('id') }));
app.delete('/items/:id{[0-9]+}', (c) => c.body(null, 204));
app.post('/validate', () => {
  throw validationFailed('name is required', { field: 'name' });
});
app.get('/boom', () => {
  throw new Error('kaboom');
});
app.get('/public', (c) => c.json({ ok: true }, 200, { 'cache-control': 'public, max-age=60' }));
// The same answers two ways: through Hono's c.json and the middleware, and pre-secured (shared/security-headers.ts).
app.get('/answer/c-json', (c) => c.json({ ok: true }));
app.get('/answer/secure-json', (c) => secureJson(c.env, { ok: true }));
app.get('/answer/c-json-pragma', (c) => c.json({ ok: true }, 201, { 'cache-control': 'no-store', pragma: 'no-cache' }));
app.get('/answer/secure-json-pragma', (c) => secureJson(c.env, { ok: true }, 201, 'no-store, pragma'));

export default app;

// The shared rate limiter's Durable Object, bound as RATE_LIMITER by the top-level wrangler.toml.
export { RateLimiter } from '../../shared/rate-limit/durable-objects/rate-limiter.js';
