/**
 * The monitor API's webhooks: endpoints CRUD (`Admin_webhooks_read|create|update|delete`), deliveries with their
 * attempts, the dead-letter list, and replaying a dead letter (`Admin_webhooks_replay`: same message id, a fresh
 * budget of attempts). The signing secret is shown once, in the creation's answer; it is stored sealed
 * (webhooks/secret-box.ts).
 */
import { readJsonBody } from '../../../../../shared/body.js';
import { conflict, dependencyUnavailable, notFound, validationFailed } from '../../../../../shared/errors.js';
import { authorizeMonitor, pathId, pathResource } from '../../api/handlers/access.js';
import type { MonitorContext } from '../../services.js';
import type { Delivery } from '../domain/delivery.js';
import { replayDeadLetter } from '../domain/delivery.js';
import { EndpointInputError, parseEndpointPatch, parseNewEndpoint } from '../domain/endpoint-input.js';
import type { DeliveryView, EndpointView } from '../domain/endpoint-store.js';
import { newEndpointSecret } from '../domain/signature.js';

const iso = (v: number) => new Date(v).toISOString();

/** Never the secrets, nor how many there are. */
function endpointJson({ id, url, description, types, minSeverity, breaker, disabled, createdAt }: EndpointView) {
  return {
    id,
    url,
    description,
    types,
    min_severity: minSeverity,
    circuit: breaker,
    disabled: disabled ? { at: iso(disabled.at), reason: disabled.reason } : null,
    created_at: iso(createdAt),
  };
}

function deliveryJson(d: DeliveryView) {
  return {
    id: d.id,
    endpoint_id: d.endpointId,
    alert_id: d.alertId,
    type: d.type,
    msg_id: d.msgId,
    status: d.status,
    attempts: d.attempts,
    next_attempt_at: d.status === 'pending' ? iso(d.nextAttemptAt) : null,
    dead_reason: d.deadReason ?? null,
    created_at: iso(d.createdAt),
  };
}

async function body<T>(c: MonitorContext, parse: (b: unknown, allowPrivate: boolean) => T): Promise<T> {
  const services = c.get('services');
  const raw = await readJsonBody(c.req.raw, services.config.MAX_BODY_BYTES);
  try {
    return parse(raw, services.config.WEBHOOK_ALLOW_PRIVATE_URLS);
  } catch (err) {
    if (err instanceof EndpointInputError) throw validationFailed(err.message, { field: err.field });
    throw err;
  }
}

const NO_ENDPOINT = 'no such webhook endpoint';
const endpointId = (c: MonitorContext) => pathId(c, NO_ENDPOINT);

export async function listEndpoints(c: MonitorContext): Promise<Response> {
  await authorizeMonitor(c, 'Admin_webhooks_read', 'webhooks');
  return c.json({ endpoints: (await c.get('services').endpoints.list()).map(endpointJson) });
}

export async function createEndpoint(c: MonitorContext): Promise<Response> {
  await authorizeMonitor(c, 'Admin_webhooks_create', 'webhooks');
  const services = c.get('services');
  if (!services.secrets.configured) throw dependencyUnavailable('webhooks need WEBHOOK_SECRET_KEY');
  const input = await body(c, parseNewEndpoint);
  const id = crypto.randomUUID();
  const secret = newEndpointSecret((b) => crypto.getRandomValues(b));
  const created = await services.endpoints.create({
    id,
    ...input,
    sealedSecret: await services.secrets.seal(secret, id),
  });
  return c.json({ ...endpointJson(created), secret }, 201, { location: `/admin/webhooks/${id}` });
}

export async function getEndpoint(c: MonitorContext): Promise<Response> {
  await authorizeMonitor(c, 'Admin_webhooks_read', 'webhooks');
  return c.json(endpointJson(await pathResource(c, (id) => c.get('services').endpoints.get(id), NO_ENDPOINT)));
}

export async function updateEndpoint(c: MonitorContext): Promise<Response> {
  await authorizeMonitor(c, 'Admin_webhooks_update', 'webhooks');
  const id = endpointId(c);
  const patch = await body(c, parseEndpointPatch);
  const e = await c.get('services').endpoints.update(id, patch, Date.now());
  if (!e) throw notFound(NO_ENDPOINT);
  return c.json(endpointJson(e));
}

export async function deleteEndpoint(c: MonitorContext): Promise<Response> {
  await authorizeMonitor(c, 'Admin_webhooks_delete', 'webhooks');
  if (!(await c.get('services').endpoints.delete(endpointId(c)))) throw notFound(NO_ENDPOINT);
  return c.body(null, 204);
}

function statusFilter(value: string | undefined): Delivery['status'] | undefined {
  if (value === undefined) return undefined;
  if (value !== 'pending' && value !== 'delivered' && value !== 'dead')
    throw validationFailed('status: must be pending, delivered or dead', { parameter: 'status' });
  return value;
}

export async function listDeliveries(c: MonitorContext): Promise<Response> {
  await authorizeMonitor(c, 'Admin_webhooks_read', 'webhooks');
  const id = endpointId(c);
  const status = statusFilter(c.req.query('status'));
  const list = await c.get('services').endpoints.deliveries({ endpointId: id, status, limit: 500 });
  return c.json({ deliveries: list.map(deliveryJson) });
}

export async function listDeadLetters(c: MonitorContext): Promise<Response> {
  await authorizeMonitor(c, 'Admin_webhooks_read', 'webhooks');
  const list = await c.get('services').endpoints.deliveries({ status: 'dead', limit: 500 });
  return c.json({ dead_letters: list.map(deliveryJson) });
}

function delivery(c: MonitorContext): Promise<DeliveryView> {
  return pathResource(c, (id) => c.get('services').endpoints.delivery(id), 'no such delivery');
}

export async function getDelivery(c: MonitorContext): Promise<Response> {
  await authorizeMonitor(c, 'Admin_webhooks_read', 'webhooks');
  const d = await delivery(c);
  const attempts = await c.get('services').endpoints.attempts(d.id);
  return c.json({
    ...deliveryJson(d),
    attempts: attempts.map((a) => ({
      attempt: a.attempt,
      at: iso(a.at),
      duration_ms: a.durationMs,
      outcome: a.outcome,
      status: a.status ?? null,
      detail: a.detail ?? null,
      next_attempt_at: a.nextAttemptAt === undefined ? null : iso(a.nextAttemptAt),
    })),
  });
}

export async function replayDelivery(c: MonitorContext): Promise<Response> {
  await authorizeMonitor(c, 'Admin_webhooks_replay', 'webhooks');
  const d = await delivery(c);
  if (d.status !== 'dead') throw conflict('only dead letters can be replayed');
  const next = replayDeadLetter(d, Date.now());
  if (!(await c.get('services').endpoints.replay(d, next))) throw conflict('the delivery changed meanwhile');
  return c.json(deliveryJson({ ...d, ...next }));
}
