/**
 * A Worker built only from shared/ pieces, so the shared behaviour (error model, limits, headers, CORS, metrics,
 * readiness) is tested inside workerd exactly as every service gets it.
 */
import { createServiceApp } from '../../shared/app.js';
import { readFormBody, readJsonBody } from '../../shared/body.js';
import type { CommonBindings } from '../../shared/env.js';
import { OAuthError, validationFailed } from '../../shared/errors.js';

const { app, config } = createServiceApp<CommonBindings>({ service: 'monitor', oauthPaths: ['/oauth/token'] });

app.post('/echo', async (c) => c.json({ received: await readJsonBody(c.req.raw, config(c).MAX_BODY_BYTES) }));
app.post('/oauth/token', async (c) => {
  const form = await readFormBody(c.req.raw, config(c).MAX_BODY_BYTES);
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

export default app;
