/** What the webhook sender needs from storage (webhooks/sender.ts). */
import type { BreakerState } from './circuit-breaker.js';
import type { AttemptRecord, Delivery } from './delivery.js';
import type { WebhookEndpoint } from './endpoint.js';

export interface DueDelivery {
  delivery: Delivery;
  payload: string;
  endpoint: WebhookEndpoint;
  breaker: BreakerState;
}

export interface DeliverySession {
  /**
   * Takes up to `limit` pending deliveries due at `now` (of enabled endpoints), oldest first, and moves their next
   * attempt `leaseMs` ahead so another replica's sender does not take them meanwhile.
   */
  claimDue(now: number, limit: number, leaseMs: number): Promise<DueDelivery[]>;
  /** Saves a delivery's new state, with the attempt that led to it when there was one. */
  save(delivery: Delivery, attempt?: AttemptRecord): Promise<void>;
  saveBreaker(endpointId: string, breaker: BreakerState): Promise<void>;
  /** Switches an endpoint off (a 410 Gone) and dead-letters its pending deliveries. */
  disableEndpoint(endpointId: string, reason: string, now: number): Promise<void>;
}

export interface DeliveryStore {
  session<T>(fn: (s: DeliverySession) => Promise<T>): Promise<T>;
}
