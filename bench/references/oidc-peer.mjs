// Reference 3, the peer: node-oidc-provider (certified OpenID provider, Node) issuing client_credentials access
// tokens, answering introspection and, in the `tuned` profile, refreshing tokens with rotation. Started pinned to
// the server core with NODE_ENV=production; prints one JSON line when listening.
//
//   node oidc-peer.mjs PORT [tuned|untuned]
//
// Both profiles keep the comparison honest: the platform's algorithm (ES256, one key in memory), its client
// authentication (client_secret_basic, a 256-bit secret), its access-token lifetime (600 s), valid tokens, and the
// in-memory adapter that is oidc-provider's default (no network I/O, which favours the peer).
//
// - resource `.../jwt`: RFC 9068 JWT access tokens (the token measurement; oidc-provider does not store them);
// - resource `.../opaque`: opaque access tokens, because oidc-provider refuses to introspect structured (JWT)
//   tokens ("Structured JWT Tokens cannot be introspected"): introspection is measured on its opaque tokens,
//   which sit in process memory.
//
// `untuned` is the provider as it comes, plus only what these grants need. `tuned` (the default) is what a user
// tuning it for speed would set, each setting from oidc-provider's configuration options (lib/helpers/defaults.js
// is their documented source):
// - features not needed here off: `dPoP` (on by default: every token request runs its proof check),
//   `pushedAuthorizationRequests`, `rpInitiatedLogout`, `userinfo`, `devInteractions`, `requestObjects`; fewer
//   routes, fewer per-request checks;
// - `clientAuthMethods: ['client_secret_basic']`: the only method used, so no other parameters are assembled or
//   checked (`client_secret`, `client_assertion*` are then not even accepted);
// - `enabledJWA`: ES256 only, the only algorithm used;
// - `formats.bitsOfOpaqueRandomness: 160`: opaque tokens of 160 random bits instead of 256 (shorter values to
//   generate, send, parse and look up); RFC 6749 §10.10 requires guessing odds of at most 2^-128 and recommends
//   2^-160, so this is the cheapest setting that meets the recommendation;
// - fixed `ttl` numbers (600 s access tokens, as the platform), so no TTL helper runs per token;
// - `clientBasedCORS: () => false`, `findAccount` returning the subject: the trivial answers, without the
//   "should change" notices of the defaults;
// - ES256 signatures by Node's synchronous native ECDSA (`features.externalSigningSupport` with an
//   `ExternalSigningKey` over the same key, below) instead of jose's WebCrypto path, which runs each signature as
//   a job on Node's thread pool: measured here, about 9% less CPU per JWT (PEER_NATIVE_SIGNING=0 turns it off);
// - no event listeners (oidc-provider emits events per request; nothing subscribes), no request logging, no
//   middleware in front; NODE_ENV=production (set by the bench).
// Measured here by server CPU per request, interleaved A/B on one core: the configuration settings above change
// neither path measurably (oidc-provider's defaults are already lean there); native signing is the one gain.
// `--max-semi-space-size` (fewer young-generation GCs) did not help either, so the process runs with Node's
// defaults. Not done: Node 22, the runtime oidc-provider 9 asks for (it warns on this machine's Node 20).
// Runtime: plain `http.createServer(provider.callback())`, keep-alive, one process (the bench pins every server to
// one core; a cluster would not help there).
//
// Refresh (tuned profile only): client `bench-peer-rt` (client_secret_basic, authorization_code + refresh_token)
// gets refresh tokens from a real authorization-code flow: GET /auth (PKCE S256, scope `offline_access read`,
// prompt=consent, resource .../jwt) → the interaction route below, which signs in a fixed bench account and grants
// the requested scopes (what a login app does once the user has typed a password) → GET /auth/:uid → the code →
// POST /token with grant_type=authorization_code. `grant_type=refresh_token` then rotates on every use
// (`rotateRefreshToken: true`, single-use refresh tokens, as the platform's refresh-token families): each answer
// carries a new refresh token and a JWT access token; reuse of a consumed one revokes the grant. No `openid` scope,
// so no ID token is signed on refresh (the cheapest legal refresh).
import { createPrivateKey, createPublicKey, randomBytes, sign } from 'node:crypto';
import http from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { ExternalSigningKey } from 'oidc-provider';

export const JWT_RESOURCE = 'https://api.example.com/jwt';
export const OPAQUE_RESOURCE = 'https://api.example.com/opaque';
export const REDIRECT_URI = 'https://rp.example/cb';
const ACCOUNT = 'bench-user';

const port = Number(process.argv[2]);
const profile = process.argv[3] ?? 'tuned';
if (profile !== 'tuned' && profile !== 'untuned') throw new Error(`unknown profile ${profile}`);
const clientId = 'bench-peer';
const clientSecret = randomBytes(32).toString('base64url');
const refreshClientId = 'bench-peer-rt';
const refreshClientSecret = randomBytes(32).toString('base64url');
const { privateKey } = await generateKeyPair('ES256', { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), alg: 'ES256', use: 'sig', kid: 'peer-1' };

const ccClient = {
  client_id: clientId,
  client_secret: clientSecret,
  grant_types: ['client_credentials'],
  response_types: [],
  redirect_uris: [],
  token_endpoint_auth_method: 'client_secret_basic',
  // Only an ES256 key exists (as on the platform); the default RS256 would be refused for this client.
  id_token_signed_response_alg: 'ES256',
  scope: 'read',
};

// Both profiles: the two resources and their access-token formats (JWT by default).
const resourceIndicators = {
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
};

const untuned = {
  clients: [ccClient],
  jwks: { keys: [jwk] },
  scopes: ['read'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators,
  },
};

/**
 * The same ES256 key, signing with Node's synchronous native ECDSA instead of WebCrypto (jose's path, a job on the
 * thread pool per signature). oidc-provider's `externalSigningSupport` feature takes such a key (its documented use
 * is keys in an HSM or KMS); the signature is the same JWS ES256 signature (r || s).
 */
class NativeES256Key extends ExternalSigningKey {
  #private = createPrivateKey({ key: jwk, format: 'jwk' });
  #public = createPublicKey(this.#private);
  constructor() {
    super();
    this.kid = jwk.kid;
    this.alg = 'ES256';
  }
  keyObject() {
    return this.#public;
  }
  sign(data) {
    return sign('sha256', data, { key: this.#private, dsaEncoding: 'ieee-p1363' });
  }
}
const nativeSigning = process.env.PEER_NATIVE_SIGNING !== '0';

const ES256 = ['ES256'];
const tuned = {
  clients: [
    ccClient,
    {
      client_id: refreshClientId,
      client_secret: refreshClientSecret,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [REDIRECT_URI],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
      scope: 'offline_access read',
    },
  ],
  jwks: { keys: [nativeSigning ? new NativeES256Key() : jwk] },
  scopes: ['read', 'offline_access'],
  clientAuthMethods: ['client_secret_basic'],
  enabledJWA: {
    clientAuthSigningAlgValues: ES256,
    idTokenSigningAlgValues: ES256,
    requestObjectSigningAlgValues: ES256,
    userinfoSigningAlgValues: ES256,
    introspectionSigningAlgValues: ES256,
    authorizationSigningAlgValues: ES256,
    dPoPSigningAlgValues: ES256,
  },
  formats: { bitsOfOpaqueRandomness: 160 },
  ttl: {
    AccessToken: 600,
    ClientCredentials: 600,
    AuthorizationCode: 60,
    Grant: 86_400,
    Interaction: 600,
    RefreshToken: 86_400,
    Session: 86_400,
  },
  rotateRefreshToken: true,
  clientBasedCORS: () => false,
  findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  pkce: { required: () => true },
  features: {
    externalSigningSupport: { enabled: nativeSigning, ack: 'experimental-01' },
    devInteractions: { enabled: false },
    dPoP: { enabled: false },
    pushedAuthorizationRequests: { enabled: false },
    rpInitiatedLogout: { enabled: false },
    userinfo: { enabled: false },
    requestObjects: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators,
  },
};

const provider = new Provider(`http://127.0.0.1:${port}`, profile === 'tuned' ? tuned : untuned);
const callback = provider.callback();

/**
 * The login app of this provider: signs the bench account in and grants what was asked (scopes and resource
 * scopes), in one step. Reached only while the bench collects refresh tokens, never on a measured request.
 */
async function interaction(req, res) {
  try {
    const details = await provider.interactionDetails(req, res);
    const { client_id: forClient, scope = '', resource } = details.params;
    const grant = new provider.Grant({ accountId: ACCOUNT, clientId: forClient });
    grant.addOIDCScope(String(scope));
    for (const r of [resource ?? JWT_RESOURCE].flat()) grant.addResourceScope(r, String(scope));
    const grantId = await grant.save();
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: ACCOUNT }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
  } catch (err) {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(String(err?.message ?? err));
  }
}

const server = http.createServer((req, res) => {
  if (profile === 'tuned' && req.url.startsWith('/interaction/')) return interaction(req, res);
  return callback(req, res);
});
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(
    `${JSON.stringify({
      port,
      profile,
      clientId,
      clientSecret,
      ...(profile === 'tuned' ? { refreshClientId, refreshClientSecret, redirectUri: REDIRECT_URI } : {}),
    })}\n`,
  );
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
// An orderly exit on Ctrl-C too, so that `node --cpu-prof` writes its profile.
process.on('SIGINT', () => process.exit(0));
