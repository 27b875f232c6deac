// Credentials from the peer (node-oidc-provider) obtained the way a client obtains them: refresh tokens from real
// authorization-code flows (PKCE S256, consent, code exchange), for measurements of grant_type=refresh_token.
import { createHash, randomBytes } from 'node:crypto';
import { cookieJar } from './hosted-login.mjs';
import { basicAuth, redeemForRefreshToken, refreshTokensOf } from './oauth.mjs';

/**
 * One authorization-code flow against the peer; resolves to its token response ({ access_token, refresh_token }).
 * @param {{ url: string, refreshClientId: string, refreshClientSecret: string, redirectUri: string }} peer
 */
export async function peerCodeFlow(peer, { scope = 'offline_access read', resource } = {}) {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const query = new URLSearchParams({
    client_id: peer.refreshClientId,
    response_type: 'code',
    redirect_uri: peer.redirectUri,
    scope,
    prompt: 'consent',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: randomBytes(8).toString('hex'),
    ...(resource ? { resource } : {}),
  });
  const jar = cookieJar();
  let next = `${peer.url}/auth?${query}`;
  // /auth → /interaction/:uid (the peer's login app) → /auth/:uid → redirect_uri?code=...
  for (let hop = 0; hop < 6; hop++) {
    const res = await fetch(next, { redirect: 'manual', headers: { cookie: jar.header() } });
    jar.take(res);
    const location = res.headers.get('location');
    if (res.status < 300 || res.status >= 400 || !location)
      throw new Error(`peer authorization flow: HTTP ${res.status} at ${next}: ${await res.text()}`);
    const target = new URL(location, next);
    if (target.href.startsWith(peer.redirectUri)) {
      const code = target.searchParams.get('code');
      if (!code) throw new Error(`peer authorization flow ended without a code: ${target.href}`);
      return redeemForRefreshToken(
        `${peer.url}/token`,
        basicAuth(peer.refreshClientId, peer.refreshClientSecret),
        { code, redirectUri: peer.redirectUri, verifier },
        'peer',
      );
    }
    next = target.href;
  }
  throw new Error('peer authorization flow: too many redirects');
}

/** `n` independent refresh tokens (one grant each), from `n` authorization-code flows, a few at a time. */
export function peerRefreshTokens(peer, n, concurrency = 4) {
  return refreshTokensOf(() => peerCodeFlow(peer), n, concurrency);
}
