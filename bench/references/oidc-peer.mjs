// Reference 3, the peer: node-oidc-provider (certified OpenID provider, Node) issuing client_credentials access
// tokens and answering introspection. Started pinned to the server core; prints one JSON line when listening.
//
// Configuration, as close to the platform as oidc-provider allows:
// - client_secret_basic, scope `read`, ES256 signing key in memory, in-memory adapter (its default: no network I/O,
//   which favours the peer);
// - resource `.../jwt`: RFC 9068 JWT access tokens (the token measurement);
// - resource `.../opaque`: opaque access tokens, because oidc-provider refuses to introspect structured (JWT)
//   tokens ("Structured JWT Tokens cannot be introspected"): introspection is measured on its opaque tokens.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

export const JWT_RESOURCE = 'https://api.example.com/jwt';
export const OPAQUE_RESOURCE = 'https://api.example.com/opaque';

const port = Number(process.argv[2]);
const clientId = 'bench-peer';
const clientSecret = randomBytes(32).toString('base64url');
const { privateKey } = await generateKeyPair('ES256', { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), alg: 'ES256', use: 'sig', kid: 'peer-1' };

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      // Only an ES256 key exists (as on the platform); the default RS256 would be refused for this client.
      id_token_signed_response_alg: 'ES256',
      scope: 'read',
    },
  ],
  jwks: { keys: [jwk] },
  scopes: ['read'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => JWT_RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, resource) => ({
        scope: 'read',
        audience: resource,
        accessTokenTTL: 600,
        accessTokenFormat: resource === OPAQUE_RESOURCE ? 'opaque' : 'jwt',
        jwt: { sign: { alg: 'ES256' } },
      }),
    },
  },
});
// No request logging or other middleware: the provider as it comes.
const server = http.createServer(provider.callback());
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port, clientId, clientSecret })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
