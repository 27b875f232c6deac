/**
 * The auth Worker's client administration API, for the admin Worker (which forwards the operator's credential
 * over the AUTH service binding) and nobody else in practice: one copy of the clients logic, its storage and its
 * cache invalidation. Every route follows the admin-authorization pattern (shared/admin/authorize.ts) with its
 * own action on `AdminEndpoint::"clients"`, and every change is a `client.*` event naming the actor.
 *
 *   GET    /admin/clients                      Admin_clients_read     ?search=&status=&limit=&offset=
 *   POST   /admin/clients                      Admin_clients_create   the secret is in this answer only
 *   GET    /admin/clients/:client_id           Admin_clients_read
 *   PATCH  /admin/clients/:client_id           Admin_clients_update   metadata, approval, rate_limit, first_party
 *   POST   /admin/clients/:client_id/secret    Admin_clients_rotate_secret
 *   POST   /admin/clients/:client_id/disable   Admin_clients_disable  (and /enable)
 *   DELETE /admin/clients/:client_id           Admin_clients_delete
 */
import { adminRequestOf, authorizeAdmin } from '../../../../../shared/admin/authorize.js';
import { readJsonBody } from '../../../../../shared/body.js';
import { randomToken } from '../../../../../shared/crypto.js';
import { conflict, notFound, validationFailed } from '../../../../../shared/errors.js';
import type { SecurityEventType } from '../../../../../shared/events/event.js';
import type { AuthContext } from '../../services.js';
import { adminClientView, operatorRegistration, operatorUpdate } from '../domain/admin-client.js';
import { hashClientSecret } from '../domain/client-authentication.js';
import { ClientMetadataError, type MetadataPolicy } from '../domain/client-metadata.js';
import type { AdminClientChange, ClientLifecycle, ClientRow } from '../domain/client-store.js';
import { approvalOf } from '../domain/registration-ceiling.js';

const CLIENTS_ENDPOINT = { type: 'AdminEndpoint', id: 'clients' };
const NO_STORE = { 'cache-control': 'no-store' };
const MAX_PAGE = 200;

type ClientAction =
  | 'Admin_clients_read'
  | 'Admin_clients_create'
  | 'Admin_clients_update'
  | 'Admin_clients_rotate_secret'
  | 'Admin_clients_disable'
  | 'Admin_clients_delete';

async function authorize(c: AuthContext, action: ClientAction) {
  const request = adminRequestOf(c);
  const { principal } = await authorizeAdmin(c.get('services').admin, request, action, CLIENTS_ENDPOINT);
  return { actor: principal.id, credential: principal.credentialId, request };
}

type Access = Awaited<ReturnType<typeof authorize>>;

function audit(c: AuthContext, access: Access, type: SecurityEventType, clientId: string, details = {}): void {
  c.get('services').events.emit(
    {
      type,
      outcome: 'success',
      client_id: clientId,
      ...access.request.origin,
      details: { actor: access.actor, credential: access.credential, via: 'admin_api', ...details },
    },
    access.request.ctx,
  );
}

function policy(c: AuthContext): MetadataPolicy {
  const { config } = c.get('services');
  return {
    maxTokenLifetime: config.ACCESS_TOKEN_MAX_TTL_SECONDS,
    scopesSupported: config.SCOPES_SUPPORTED,
    resourcesSupported: config.RESOURCES_SUPPORTED,
    privileged: true,
  };
}

/** Metadata errors are the caller's: 400 problem+json naming the field. */
function validated<T>(build: () => T): T {
  try {
    return build();
  } catch (err) {
    if (err instanceof ClientMetadataError) throw validationFailed(err.message, { error: err.error });
    throw err;
  }
}

async function readObject(c: AuthContext): Promise<Record<string, unknown>> {
  const body = await readJsonBody(c.req.raw, c.get('services').config.MAX_BODY_BYTES);
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw validationFailed('body must be an object');
  return body as Record<string, unknown>;
}

async function existing(c: AuthContext): Promise<ClientRow> {
  const clientId = c.req.param('client_id') ?? '';
  const row = clientId.length <= 256 ? await c.get('services').clients.readRow(clientId) : null;
  if (!row || row.lifecycle === 'deleted') throw notFound(`no client "${clientId.slice(0, 256)}"`);
  return row;
}

async function change(c: AuthContext, row: ClientRow, update: Omit<AdminClientChange, 'expectedVersion'>) {
  const updated = await c.get('services').clients.adminUpdate(row.clientId, {
    ...update,
    expectedVersion: row.version,
  });
  if (!updated) throw conflict('the client changed concurrently; read it and retry');
  return updated;
}

const LIFECYCLES: readonly ClientLifecycle[] = ['active', 'disabled', 'deleted'];

function pageParam(raw: string | undefined, name: string, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  if (!/^[0-9]{1,7}$/.test(raw) || Number(raw) > max)
    throw validationFailed(`${name} must be an integer in [0, ${max}]`);
  return Number(raw);
}

export async function listClients(c: AuthContext): Promise<Response> {
  await authorize(c, 'Admin_clients_read');
  const search = c.req.query('search');
  const status = c.req.query('status');
  if (search !== undefined && search.length > 256) throw validationFailed('search is limited to 256 characters');
  if (status !== undefined && !LIFECYCLES.includes(status as ClientLifecycle)) {
    throw validationFailed(`status must be one of ${LIFECYCLES.join(', ')}`);
  }
  const limit = pageParam(c.req.query('limit'), 'limit', 50, MAX_PAGE);
  const offset = pageParam(c.req.query('offset'), 'offset', 0, 1_000_000);
  const rows = await c.get('services').clients.list({
    search: search || undefined,
    lifecycle: status as ClientLifecycle | undefined,
    limit,
    offset,
  });
  return c.json({ clients: rows.map(adminClientView), limit, offset }, 200, NO_STORE);
}

export async function readClient(c: AuthContext): Promise<Response> {
  await authorize(c, 'Admin_clients_read');
  return c.json(adminClientView(await existing(c)), 200, NO_STORE);
}

export async function createClient(c: AuthContext): Promise<Response> {
  const access = await authorize(c, 'Admin_clients_create');
  const doc = await readObject(c);
  const { metadata, rateLimit, firstParty } = validated(() => operatorRegistration(doc, policy(c)));
  const secret = randomToken(32);
  const row = await c.get('services').clients.insert({
    clientId: randomToken(16),
    secretHash: await hashClientSecret(secret),
    // No RFC 7592 management for an operator-made client: its registration token is random and already expired.
    registrationTokenHash: await hashClientSecret(randomToken(32)),
    registrationTokenExpiresAt: Date.now(),
    metadata,
    approval: approvalOf(metadata),
    rateLimit: rateLimit ?? null,
    clientIdIssuedAt: Math.floor(Date.now() / 1000),
    firstParty,
  });
  audit(c, access, 'client.registered', row.clientId, { scope: metadata.scope, first_party: firstParty });
  return c.json({ ...adminClientView(row), client_secret: secret }, 201, {
    ...NO_STORE,
    location: `/admin/clients/${row.clientId}`,
  });
}

export async function updateClient(c: AuthContext): Promise<Response> {
  const access = await authorize(c, 'Admin_clients_update');
  const row = await existing(c);
  const patch = await readObject(c);
  for (const name of ['client_id', 'client_secret', 'status', 'approved', 'version', 'client_id_issued_at']) {
    if (name in patch) throw validationFailed(`${name} cannot be changed by an update`);
  }
  const updated = await change(
    c,
    row,
    validated(() => operatorUpdate(row, patch, policy(c))),
  );
  audit(c, access, 'client.updated', row.clientId, { fields: Object.keys(patch).sort() });
  return c.json(adminClientView(updated), 200, NO_STORE);
}

export async function rotateClientSecret(c: AuthContext): Promise<Response> {
  const access = await authorize(c, 'Admin_clients_rotate_secret');
  const row = await existing(c);
  const secret = randomToken(32);
  const updated = await change(c, row, { secretHash: await hashClientSecret(secret) });
  audit(c, access, 'client.updated', row.clientId, { secret_rotated: true });
  return c.json({ ...adminClientView(updated), client_secret: secret }, 200, NO_STORE);
}

function setLifecycle(lifecycle: 'active' | 'disabled') {
  return async (c: AuthContext): Promise<Response> => {
    const access = await authorize(c, 'Admin_clients_disable');
    const row = await existing(c);
    const updated = row.lifecycle === lifecycle ? row : await change(c, row, { lifecycle });
    if (updated !== row) audit(c, access, 'client.updated', row.clientId, { status: lifecycle });
    return c.json(adminClientView(updated), 200, NO_STORE);
  };
}

export const disableClient = setLifecycle('disabled');
export const enableClient = setLifecycle('active');

export async function deleteClient(c: AuthContext): Promise<Response> {
  const access = await authorize(c, 'Admin_clients_delete');
  const row = await existing(c);
  if (!(await c.get('services').clients.delete(row.clientId))) throw notFound(`no client "${row.clientId}"`);
  audit(c, access, 'client.deleted', row.clientId);
  return c.body(null, 204, NO_STORE);
}
