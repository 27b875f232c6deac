/**
 * The catalogue of security event types: the ones Workers emit today and the ones sign-in, sessions, consent, MFA
 * and refresh-token rotation will emit. Self-contained (no imports but a type-only check) so `shared/events/event.ts`
 * can adopt it as its `SecurityEventType` unchanged.
 *
 * Each entry names the `details` fields the monitor reads. Details never carry secrets or tokens: a reused
 * refresh token is identified by its family id, never by its value.
 */
import type { SecurityEventType } from '../../../../../shared/events/event.js';

export const SECURITY_EVENT_TYPES = [
  // Emitted today.
  'token.issued', // details: jti, kid, scope, aud, expires_in
  'token.revoked',
  'token.introspected',
  'client.authentication_failed', // details: endpoint, reason, method, presented_client_id (unknown clients)
  'client.registered',
  'client.updated',
  'client.deleted',
  'rate_limit.exceeded', // details: endpoint, bucket, limit, retry_after_seconds, suppressed
  'key.rotated', // details: trigger (cron | maintenance | admin | admin_immediate), admin, revoked
  'cache.tampered', // details: cache (client), reason (format | mac | content); a cache entry failed its MAC
  'policy.published', // details: policy_set, version, actor
  'policy.activated', // details: policy_set, version, previous, actor
  'authorization.denied', // details: admin | actor, action
  'admin.action', // details: action, actor
  'user.login_failed', // details: reason (unknown_user | wrong_password | locked | ...), username_hash
  'user.login_succeeded', // details: amr, session_id; location fields at top level when known
  // To be emitted by sign-in, sessions, consent, MFA and refresh-token rotation.
  'user.login_throttled', // a sign-in refused by the limiter before the password was checked
  'user.logout',
  'user.signed_up', // details: by (self | admin)
  'user.password_reset', // an operator's one-time reset redeemed; details: user_id
  'session.created', // details: session_id, amr
  'session.revoked', // details: session_id, reason (logout | admin | password_change | reuse_detected)
  'session.expired',
  'consent.granted', // details: scope
  'consent.denied',
  'consent.revoked',
  'mfa.enrolled', // details: method (totp | webauthn | recovery_code)
  'mfa.removed',
  'mfa.challenge_succeeded', // details: method
  'mfa.challenge_failed', // details: method, reason
  'mfa.recovery_code_used',
  'refresh_token.reused', // details: family_id, generation; the whole family is revoked when this is emitted
  'authorization_code.reused', // details: code_id; tokens issued from the code are revoked
] as const;

export type KnownSecurityEventType = (typeof SECURITY_EVENT_TYPES)[number];

const KNOWN = new Set<string>(SECURITY_EVENT_TYPES);

export function isKnownEventType(type: string): type is KnownSecurityEventType {
  return KNOWN.has(type);
}

// Compile-time guard: every type the shared schema declares today is in the catalogue (fails to type-check if not).
type InCatalogue<T extends KnownSecurityEventType> = T;
export type SharedSchemaTypes = InCatalogue<SecurityEventType>;

/**
 * Location fields an event may carry at top level (stream fields are strings). Workers fill them from
 * `request.cf` on Cloudflare, or from ingress headers named in configuration on Kubernetes; when neither is
 * available they are absent and location-based detection is off.
 */
export const LOCATION_FIELDS = ['latitude', 'longitude', 'country', 'geo_source'] as const;
export type GeoSource = 'cf' | 'header';
