/** Webhook endpoints, deliveries and dead letters as the monitor API manages them. */
import type { Severity } from '../../detectors/domain/finding.js';
import type { BreakerState } from './circuit-breaker.js';
import type { AttemptRecord, Delivery } from './delivery.js';
import type { AlertWebhookType } from './payload.js';

export interface EndpointView {
  id: string;
  url: string;
  description: string | null;
  types: AlertWebhookType[];
  minSeverity: Severity;
  breaker: BreakerState;
  disabled: { at: number; reason: string } | null;
  createdAt: number;
  /** Active secrets, current first (sealed: the API never shows them after creation). */
  secretCount: number;
}

export interface NewEndpoint {
  id: string;
  url: string;
  description: string | null;
  /** Already sealed (webhooks/secret-box.ts). */
  sealedSecret: string;
  types: AlertWebhookType[];
  minSeverity: Severity;
}

export interface EndpointPatch {
  url?: string;
  description?: string | null;
  types?: AlertWebhookType[];
  minSeverity?: Severity;
  /** true switches delivery off (an operator), false back on (and closes the breaker). */
  disabled?: boolean;
}

export interface DeliveryView extends Delivery {
  alertId: string;
  type: string;
}

export interface EndpointStore {
  list(): Promise<EndpointView[]>;
  get(id: string): Promise<EndpointView | null>;
  create(e: NewEndpoint): Promise<EndpointView>;
  update(id: string, patch: EndpointPatch, now: number): Promise<EndpointView | null>;
  delete(id: string): Promise<boolean>;
  /** Deliveries of an endpoint (newest first), optionally only one status. */
  deliveries(filter: { endpointId?: string; status?: Delivery['status']; limit: number }): Promise<DeliveryView[]>;
  attempts(deliveryId: string): Promise<AttemptRecord[]>;
  delivery(id: string): Promise<DeliveryView | null>;
  /** Saves a replayed dead letter (webhooks/domain/delivery.ts `replayDeadLetter`) if it is still dead. */
  replay(previous: Delivery, next: Delivery): Promise<boolean>;
}
