/**
 * The webhook sender: each tick takes the deliveries that are due, and for each asks the endpoint's circuit breaker
 * (held back without spending an attempt while it is open), signs the message (Standard Webhooks, a fresh
 * timestamp per attempt, the same message id on every attempt), POSTs it without following redirects, and records
 * the attempt with its outcome and the next attempt's time (exponential backoff, full jitter) or the dead letter.
 * The breaker state is saved after every attempt, so a tick that dies loses at most the attempt in flight (which is
 * retried after its claim expires: receivers deduplicate by webhook-id).
 */
import { logError } from '../../../../shared/dependencies.js';
import type { RetryPolicy } from './domain/backoff.js';
import type { BreakerPolicy, BreakerState } from './domain/circuit-breaker.js';
import { type AttemptResult, admit, afterAttempt } from './domain/delivery.js';
import type { DeliveryStore, DueDelivery } from './domain/delivery-store.js';
import { signWebhook } from './domain/signature.js';
import type { SecretBox } from './secret-box.js';

export interface SenderDeps {
  store: DeliveryStore;
  box: SecretBox;
  retry: RetryPolicy;
  breaker: BreakerPolicy;
  timeoutMs: number;
  service: string;
  fetch?: typeof fetch;
}

export interface SendReport {
  attempted: number;
  delivered: number;
  failed: number;
  held: number;
  dead: number;
}

async function post(
  url: string,
  payload: string,
  headers: Record<string, string>,
  timeoutMs: number,
  doFetch: typeof fetch,
): Promise<AttemptResult> {
  const started = performance.now();
  try {
    const res = await doFetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'edge-security-monitor', ...headers },
      body: payload,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await res.text().catch(() => '');
    return {
      kind: 'response',
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      body: body.slice(0, 512),
      durationMs: performance.now() - started,
    };
  } catch (err) {
    const durationMs = performance.now() - started;
    const name = (err as Error)?.name;
    if (name === 'TimeoutError' || name === 'AbortError') return { kind: 'timeout', durationMs };
    return { kind: 'network_error', message: String((err as Error)?.message ?? err), durationMs };
  }
}

/** Sends what is due (at most `limit` deliveries). */
export async function deliverDue(deps: SenderDeps, limit = 50, now: () => number = Date.now): Promise<SendReport> {
  const report: SendReport = { attempted: 0, delivered: 0, failed: 0, held: 0, dead: 0 };
  if (!deps.box.configured) return report;
  const doFetch = deps.fetch ?? fetch;
  await deps.store.session(async (s) => {
    const due = await s.claimDue(now(), limit, deps.timeoutMs + 30_000);
    const byEndpoint = new Map<string, DueDelivery[]>();
    for (const d of due) byEndpoint.set(d.endpoint.id, [...(byEndpoint.get(d.endpoint.id) ?? []), d]);
    for (const [endpointId, items] of byEndpoint) {
      let breaker: BreakerState = items[0]?.breaker ?? { state: 'closed', failures: 0 };
      let disabled = false;
      for (const item of items) {
        if (disabled) break;
        const admission = admit(item.delivery, breaker, now(), deps.retry, deps.breaker);
        breaker = admission.breaker;
        if (!admission.send) {
          report.held++;
          if (admission.delivery.status === 'dead') report.dead++;
          await s.save(admission.delivery);
          continue;
        }
        let secrets: string[];
        try {
          secrets = await Promise.all(item.endpoint.secrets.map((x) => deps.box.open(x, endpointId)));
        } catch (err) {
          logError(deps.service, 'webhook secret cannot be opened', err, { endpoint: endpointId });
          break;
        }
        const at = now();
        const headers = signWebhook({ msgId: item.delivery.msgId, timestamp: at, payload: item.payload, secrets });
        const result = await post(item.endpoint.url, item.payload, { ...headers }, deps.timeoutMs, doFetch);
        const next = afterAttempt(item.delivery, breaker, result, now(), deps.retry, deps.breaker, Math.random);
        breaker = next.breaker;
        report.attempted++;
        if (next.delivery.status === 'delivered') report.delivered++;
        else report.failed++;
        if (next.delivery.status === 'dead') report.dead++;
        await s.save(next.delivery, next.record);
        await s.saveBreaker(endpointId, breaker);
        if (next.disableEndpoint) {
          await s.disableEndpoint(endpointId, 'the receiver answered 410 Gone', now());
          disabled = true;
        }
      }
      await s.saveBreaker(endpointId, breaker);
    }
  });
  return report;
}
