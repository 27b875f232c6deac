/**
 * Verifying an access token this server issued, as introspection and revocation do: with the isolate's key ring,
 * the issuer, and the longest lifetime the token endpoint issues.
 */
import type { AuthServices } from '../../services.js';
import { type AccessTokenClaims, AccessTokenError, verifyAccessToken } from '../domain/access-token.js';

/** The token's claims, or null when it is not a valid token of ours (any AccessTokenError). */
export async function verifiedClaims(services: AuthServices, token: string): Promise<AccessTokenClaims | null> {
  const config = services.config;
  try {
    const key = await services.keys.verificationKeys(token);
    return await verifyAccessToken(token, {
      issuer: config.ISSUER,
      key,
      now: Math.floor(Date.now() / 1000),
      maxLifetimeSeconds: config.ACCESS_TOKEN_MAX_TTL_SECONDS,
      verified: services.verifiedTokens,
    });
  } catch (err) {
    if (err instanceof AccessTokenError) return null;
    throw err;
  }
}
