/**
 * The seam where other grants' artefacts join the authorization_code response: a refresh token, starting a new
 * refresh-token family (refresh/), when the client may use the refresh_token grant and the user granted
 * `offline_access` (OIDC Core §11), or the client is first-party (an operator setting made with the initial access
 * token). The family's denylist member is recorded against the code, so a replay of the code also ends the family
 * (code-grant.ts `revokeIssued`).
 */
import type { ClientRecord } from '../../clients/domain/client-store.js';
import { familyLifetimes } from '../../refresh/domain/lifetimes.js';
import type { AuthContext } from '../../services.js';
import { familyMember } from '../../tokens/domain/denylist.js';
import type { AuthorizationCodeGrant } from '../domain/authorization-code.js';

export const OFFLINE_ACCESS = 'offline_access';

export interface IssuedFromCode {
  grant: AuthorizationCodeGrant;
  client: ClientRecord;
  scopes: readonly string[];
  /** The access token's audience. */
  aud: string | string[];
  /** The access token's jti: record any further token's id with the code so a replay revokes it too. */
  accessTokenId: string;
}

/** Extra fields of the token response (e.g. `refresh_token`), and token ids to record against the code. */
export interface ExtraTokenFields {
  fields: Record<string, unknown>;
  tokenIds: string[];
  /** The refresh-token family started, if any (its key is the `rfid` claim of the access token). */
  familyKey?: string;
}

/** Whether the code's redemption gets a refresh token. */
export function issuesRefreshToken(client: ClientRecord, scopes: readonly string[]): boolean {
  if (!client.metadata.grant_types.includes('refresh_token')) return false;
  return scopes.includes(OFFLINE_ACCESS) || client.firstParty === true;
}

export async function extraTokenFields(c: AuthContext, issued: IssuedFromCode): Promise<ExtraTokenFields> {
  if (!issuesRefreshToken(issued.client, issued.scopes)) return { fields: {}, tokenIds: [] };
  const services = c.get('services');
  const { refreshToken, familyKey } = await services.refreshFamilies.start({
    clientId: issued.client.clientId,
    sub: issued.grant.userId,
    scope: [...issued.scopes],
    aud: Array.isArray(issued.aud) ? [...issued.aud] : [issued.aud],
    sid: issued.grant.sessionId,
    authn: {
      authTime: issued.grant.authTime,
      amr: [...issued.grant.amr],
      ...(issued.grant.acr !== undefined ? { acr: issued.grant.acr } : {}),
    },
    ...familyLifetimes(issued.client.metadata, services.config),
  });
  return { fields: { refresh_token: refreshToken }, tokenIds: [familyMember(familyKey)], familyKey };
}

/**
 * Called when a code is replayed (RFC 6749 §4.1.2): the access tokens recorded with the code are already on the
 * denylist; the refresh-token capability revokes here whatever else it issued from `grant` (its family).
 */
export async function revokeExtrasFromCode(_c: AuthContext, _grant: AuthorizationCodeGrant): Promise<void> {}
