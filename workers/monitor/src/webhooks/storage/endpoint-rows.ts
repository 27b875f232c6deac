/** Webhook endpoints as Postgres rows (`webhook_endpoints`). Secrets stay encrypted here; the sender decrypts. */
import type { Severity } from '../../detectors/domain/finding.js';
import type { BreakerState } from '../domain/circuit-breaker.js';
import type { WebhookEndpoint } from '../domain/endpoint.js';
import type { AlertWebhookType } from '../domain/payload.js';

export interface EndpointRow {
  id: string;
  url: string;
  description: string | null;
  secrets: string[];
  types: string[];
  min_severity: string;
  breaker: BreakerState;
  disabled_at: string | Date | null;
  disabled_reason: string | null;
  created_at: string | Date;
}

/** The endpoint with its secrets still sealed (`v1.<iv>.<ciphertext>`). */
export function endpointFromRow(r: EndpointRow): WebhookEndpoint {
  const e: WebhookEndpoint = {
    id: r.id,
    url: r.url,
    secrets: r.secrets,
    types: r.types as AlertWebhookType[],
    minSeverity: r.min_severity as Severity,
  };
  if (r.disabled_at) e.disabled = { at: new Date(r.disabled_at).getTime(), reason: r.disabled_reason ?? '' };
  return e;
}
