/**
 * The discovery documents of one configuration, serialised once, and the JWKS body with its ETag (recomputed only
 * when the key set changes). The composition root builds one per env.
 */
import { base64url, sha256 } from '../../../../shared/crypto.js';
import { type AuthConfig, baseUrl } from '../env.js';
import { authorizationServerMetadata, type MetadataSettings, openIdConfiguration } from './domain/metadata.js';

export class DiscoveryDocuments {
  /** RFC 8414 metadata, as sent. */
  readonly oauth: string;
  /** The OpenID discovery document, as sent. */
  readonly oidc: string;
  private lastJwks: { body: string; etag: string } | undefined;

  constructor(config: AuthConfig) {
    const settings: MetadataSettings = {
      issuer: config.ISSUER,
      baseUrl: baseUrl(config),
      signingAlg: config.SIGNING_ALG,
      registrationEnabled: config.REGISTRATION_TOKEN !== undefined || config.ALLOW_OPEN_REGISTRATION,
      scopesSupported: config.SCOPES_SUPPORTED,
    };
    this.oauth = JSON.stringify(authorizationServerMetadata(settings));
    this.oidc = JSON.stringify(openIdConfiguration(settings));
  }

  /** The JWKS document serialised, and a strong ETag of it. */
  async jwks(doc: { keys: Record<string, unknown>[] }): Promise<{ body: string; etag: string }> {
    const body = JSON.stringify(doc);
    if (this.lastJwks?.body !== body) this.lastJwks = { body, etag: `"${base64url(await sha256(body)).slice(0, 22)}"` };
    return this.lastJwks;
  }
}
