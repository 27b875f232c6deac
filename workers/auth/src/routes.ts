/** Routes of the auth Worker: the OAuth 2.0 authorization server. */
import { createServiceApp } from '../../../shared/app.js';
import { readAuthConfig } from './config.js';
import type { Env } from './env.js';
import { maintainKeys, rotateKeys } from './handlers/admin-keys.js';
import { jwks, oauthMetadata, openIdMetadata } from './handlers/discovery.js';
import { introspectionEndpoint } from './handlers/introspect.js';
import { deleteRegistration, readRegistration, registrationEndpoint, updateRegistration } from './handlers/register.js';
import { revocationEndpoint } from './handlers/revoke.js';
import { tokenEndpoint } from './handlers/token.js';

export const { app } = createServiceApp<Env>({
  service: 'auth',
  // Errors on these paths are RFC 6749 §5.2 JSON (RFC 7591 errors share that shape). The RFC 7592 paths carry a
  // client id, so their handlers throw OAuthError directly.
  oauthPaths: ['/oauth/token', '/oauth/introspect', '/oauth/revoke', '/oauth/register'],
  readWorkerConfig: readAuthConfig,
});

app.get('/.well-known/oauth-authorization-server', oauthMetadata);
app.get('/.well-known/openid-configuration', openIdMetadata);
app.get('/.well-known/jwks.json', jwks);

app.post('/oauth/token', tokenEndpoint);
app.post('/oauth/introspect', introspectionEndpoint);
app.post('/oauth/revoke', revocationEndpoint);
app.post('/oauth/register', registrationEndpoint);
app.get('/oauth/register/:client_id', readRegistration);
app.put('/oauth/register/:client_id', updateRegistration);
app.delete('/oauth/register/:client_id', deleteRegistration);

app.post('/admin/keys/rotate', rotateKeys);
app.post('/admin/keys/maintain', maintainKeys);
