/**
 * Webhook signing per the Standard Webhooks specification, through its maintained library: HMAC-SHA256 over
 * `{msg_id}.{timestamp}.{payload}`, secrets `whsec_` + base64 of 24..64 random bytes, one signature per active
 * secret in `webhook-signature` (space-separated) so an endpoint's secret can rotate without downtime.
 */
import { Webhook } from 'standardwebhooks';

export const SECRET_PREFIX = 'whsec_';
export const SECRET_BYTES = 32;

export class WebhookSecretError extends Error {
  readonly code = 'invalid_webhook_secret';
}

export class WebhookMessageIdError extends Error {
  readonly code = 'invalid_webhook_message_id';
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** A new endpoint secret from `random` (crypto.getRandomValues in production). */
export function newEndpointSecret(random: (bytes: Uint8Array) => Uint8Array): string {
  return SECRET_PREFIX + toBase64(random(new Uint8Array(SECRET_BYTES)));
}

/** Checks a secret's format: `whsec_` + base64 of 24..64 bytes (the specification's bounds). */
export function checkEndpointSecret(secret: string): string {
  if (!secret.startsWith(SECRET_PREFIX)) throw new WebhookSecretError(`secret must start with ${SECRET_PREFIX}`);
  const body = secret.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body) || body.length % 4 !== 0)
    throw new WebhookSecretError('secret is not base64');
  const bytes = (body.length / 4) * 3 - (body.endsWith('==') ? 2 : body.endsWith('=') ? 1 : 0);
  if (bytes < 24 || bytes > 64) throw new WebhookSecretError('secret must encode 24 to 64 bytes');
  return secret;
}

/**
 * Message ids are the idempotency key receivers dedupe on: the same id on every retry of one message. They must
 * not contain `.` (the signed content is dot-separated).
 */
export function checkMessageId(id: string): string {
  if (!/^msg_[A-Za-z0-9_-]{1,120}$/.test(id)) throw new WebhookMessageIdError('message id must be msg_[A-Za-z0-9_-]+');
  return id;
}

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * Headers for one delivery attempt. `timestamp` is the attempt's time (a retry is signed anew), `secrets` the
 * endpoint's active secrets, current first.
 */
export function signWebhook(args: {
  msgId: string;
  timestamp: number;
  payload: string;
  secrets: readonly string[];
}): SignedHeaders {
  if (args.secrets.length === 0 || args.secrets.length > 3) throw new WebhookSecretError('between 1 and 3 secrets');
  const msgId = checkMessageId(args.msgId);
  const at = new Date(Math.floor(args.timestamp / 1000) * 1000);
  const signatures = args.secrets.map((s) => new Webhook(checkEndpointSecret(s)).sign(msgId, at, args.payload));
  return {
    'webhook-id': msgId,
    'webhook-timestamp': String(Math.floor(args.timestamp / 1000)),
    'webhook-signature': signatures.join(' '),
  };
}
