/**
 * The seam where other grants' artefacts join the authorization_code response. The refresh-token capability
 * (branch `refresh`) implements `extraTokenFields` to issue a refresh token from the redeemed code; until then
 * the code grant returns the access token and ID token only, and discovery does not advertise refresh_token.
 */
import type { AuthorizationCodeGrant } from '../domain/authorization-code.js';
import type { AuthContext } from '../../services.js';

export interface IssuedFromCode {
  grant: AuthorizationCodeGrant;
  clientId: string;
  scopes: readonly string[];
  /** The access token's jti: record any further token's id with the code so a replay revokes it too. */
  accessTokenId: string;
}

/** Extra fields of the token response (e.g. `refresh_token`), and token ids to record against the code. */
export interface ExtraTokenFields {
  fields: Record<string, unknown>;
  tokenIds: string[];
}

export async function extraTokenFields(_c: AuthContext, _issued: IssuedFromCode): Promise<ExtraTokenFields> {
  return { fields: {}, tokenIds: [] };
}

/**
 * Called when a code is replayed (RFC 6749 §4.1.2): the access tokens recorded with the code are already on the
 * denylist; the refresh-token capability revokes here whatever else it issued from `grant` (its family).
 */
export async function revokeExtrasFromCode(_c: AuthContext, _grant: AuthorizationCodeGrant): Promise<void> {}
