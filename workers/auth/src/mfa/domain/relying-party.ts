/** The WebAuthn relying party from configuration: its id (default the issuer's host), name and accepted origins. */
export interface RelyingParty {
  id: string;
  name: string;
  origins: string[];
}

export function relyingPartyOf(config: {
  ISSUER: string;
  WEBAUTHN_RP_ID?: string | undefined;
  WEBAUTHN_RP_NAME: string;
  WEBAUTHN_ORIGINS: readonly string[];
}): RelyingParty {
  const issuer = new URL(config.ISSUER);
  return {
    id: config.WEBAUTHN_RP_ID ?? issuer.hostname,
    name: config.WEBAUTHN_RP_NAME,
    origins: config.WEBAUTHN_ORIGINS.length > 0 ? [...config.WEBAUTHN_ORIGINS] : [issuer.origin],
  };
}

/** What an authenticator's device type says for `amr` (RFC 8176): bound to hardware, or synced (software). */
export function passkeyMethod(deviceType: 'singleDevice' | 'multiDevice'): 'passkey-hardware' | 'passkey-synced' {
  return deviceType === 'singleDevice' ? 'passkey-hardware' : 'passkey-synced';
}
