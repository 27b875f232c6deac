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

/** The longest passkey name kept; the user's label for telling their passkeys apart on "your security". */
export const PASSKEY_NAME_MAX = 64;

/** A typed passkey name, trimmed and bounded (control characters dropped); blank means the default name. */
export function passkeyName(typed: string | undefined): string {
  const name = [...(typed ?? '')]
    .filter((ch) => ch >= ' ' && ch !== '\u007f')
    .join('')
    .trim()
    .slice(0, PASSKEY_NAME_MAX)
    .trim();
  return name || 'Passkey';
}
