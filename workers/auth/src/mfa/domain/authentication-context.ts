/**
 * What a session says about how the user authenticated: RFC 8176 `amr` values and the `acr` the platform names.
 * A second factor adds its method and `mfa`; the session's `acr` is then ACR_MFA.
 */
export const ACR_PASSWORD = 'urn:edge-security:acr:pwd';
export const ACR_MFA = 'urn:edge-security:acr:mfa';

export type SecondFactorMethod = 'totp' | 'backup-code' | 'passkey-hardware' | 'passkey-synced';

/** RFC 8176: TOTP and backup codes are one-time passwords; a passkey is a hardware- or software-secured key. */
export function amrWithSecondFactor(first: readonly string[], method: SecondFactorMethod): string[] {
  const added = method === 'passkey-hardware' ? 'hwk' : method === 'passkey-synced' ? 'swk' : 'otp';
  return [...new Set([...first, added, 'mfa'])];
}
