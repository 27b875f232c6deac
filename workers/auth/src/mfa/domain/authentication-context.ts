/**
 * What a session says about how the user authenticated: RFC 8176 `amr` values and the `acr` the platform names.
 * A second factor adds its method and `mfa`; the session's `acr` is then ACR_MFA.
 */
export const ACR_PASSWORD = 'urn:edge-security:acr:pwd';
export const ACR_MFA = 'urn:edge-security:acr:mfa';

export type SecondFactorMethod = 'totp' | 'backup-code';

export function amrWithSecondFactor(first: readonly string[], _method: SecondFactorMethod): string[] {
  // Both are one-time passwords (RFC 8176 `otp`); which one is in the security event.
  return [...new Set([...first, 'otp', 'mfa'])];
}
