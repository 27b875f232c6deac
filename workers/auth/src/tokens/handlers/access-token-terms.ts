/**
 * The audience and lifetime of an access token, the same for every grant that issues one (client_credentials,
 * authorization_code, refresh_token), so the rules cannot drift apart between them.
 */
import { OAuthError } from '../../../../../shared/errors.js';
import type { ClientRecord } from '../../clients/domain/client-store.js';
import type { AuthConfig } from '../../env.js';
import { InvalidTargetError, resolveAudience } from '../domain/resource.js';

type Config = Pick<
  AuthConfig,
  'DEFAULT_AUDIENCE' | 'ISSUER' | 'ACCESS_TOKEN_TTL_SECONDS' | 'ACCESS_TOKEN_MAX_TTL_SECONDS'
>;

/** The `aud` for the request's RFC 8707 `resource` parameters within the client's allowed resources. */
export function requestedAudience(
  form: ReadonlyMap<string, readonly string[]>,
  client: ClientRecord,
  config: Config,
): string | string[] {
  try {
    return resolveAudience(
      form.get('resource') ?? [],
      client.metadata.allowed_resources,
      config.DEFAULT_AUDIENCE ?? config.ISSUER,
    );
  } catch (err) {
    if (err instanceof InvalidTargetError) throw new OAuthError('invalid_target', err.message);
    throw err;
  }
}

/** Seconds: the client's own lifetime or the platform default, never above the platform's ceiling. */
export function accessTokenLifetime(client: ClientRecord, config: Config): number {
  return Math.min(
    client.metadata.access_token_lifetime ?? config.ACCESS_TOKEN_TTL_SECONDS,
    config.ACCESS_TOKEN_MAX_TTL_SECONDS,
  );
}
