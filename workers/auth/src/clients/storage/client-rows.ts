/**
 * The mapping between `oauth_clients` rows and the clients store's types: a row to a ClientRow, a ClientRow to the
 * record the caches hold, and metadata and approvals to columns (clients.ts).
 */
import type { oauthClients } from '../../../../../shared/db/schema.js';
import type { ClientAuthMethod } from '../domain/client-authentication.js';
import type { ClientMetadata } from '../domain/client-metadata.js';
import type { ClientLifecycle, ClientRecord, ClientRow, NewClient } from '../domain/client-store.js';

export function toRow(row: typeof oauthClients.$inferSelect): ClientRow {
  const extra = row.metadata ?? {};
  const metadata: ClientMetadata = {
    ...(extra as Partial<ClientMetadata>),
    redirect_uris: row.redirectUris,
    grant_types: row.grantTypes,
    response_types: row.responseTypes,
    token_endpoint_auth_method: row.tokenEndpointAuthMethod as ClientAuthMethod,
    scope: row.scope,
    allowed_resources: row.allowedResources,
  };
  if (row.clientName !== null) metadata.client_name = row.clientName;
  if (row.accessTokenTtlSeconds !== null) metadata.access_token_lifetime = row.accessTokenTtlSeconds;
  return {
    clientId: row.clientId,
    secretHash: row.clientSecretHash,
    registrationTokenHash: row.registrationAccessTokenHash,
    registrationTokenExpiresAt: row.registrationTokenExpiresAt.getTime(),
    approval: {
      scope: row.approvedScope === '' ? [] : row.approvedScope.split(' '),
      resources: row.approvedResources,
      grantTypes: row.approvedGrantTypes,
    },
    status: row.status === 'active' ? 'active' : 'deleted',
    lifecycle: lifecycleOf(row.status),
    firstParty: row.firstParty,
    version: row.version,
    metadata,
    rateLimit: row.rateLimit ?? null,
    clientIdIssuedAt: row.clientIdIssuedAt,
    clientSecretExpiresAt: row.clientSecretExpiresAt,
  };
}

function lifecycleOf(status: string): ClientLifecycle {
  return status === 'active' || status === 'disabled' ? status : 'deleted';
}

/** What the token path needs: the management token, its expiry, the approval and admin fields stay out of caches. */
export function cacheable(row: ClientRow): ClientRecord {
  const {
    registrationTokenHash: _token,
    registrationTokenExpiresAt: _expiry,
    approval: _approval,
    lifecycle: _lifecycle,
    ...record
  } = row;
  return record;
}

/** The approval and registration-token columns of a new or updated row. */
export function registrationColumns(
  r: Pick<NewClient, 'approval' | 'registrationTokenHash' | 'registrationTokenExpiresAt'>,
) {
  return {
    registrationAccessTokenHash: r.registrationTokenHash,
    registrationTokenExpiresAt: new Date(r.registrationTokenExpiresAt),
    approvedScope: r.approval.scope.join(' '),
    approvedResources: r.approval.resources,
    approvedGrantTypes: r.approval.grantTypes,
  };
}

/** Columns for the descriptive metadata kept in the jsonb column (the rest have their own columns). */
export function columns(metadata: ClientMetadata) {
  const {
    redirect_uris,
    grant_types,
    response_types,
    token_endpoint_auth_method,
    scope,
    allowed_resources,
    access_token_lifetime,
    client_name,
    ...rest
  } = metadata;
  return {
    clientName: client_name ?? null,
    redirectUris: redirect_uris,
    grantTypes: grant_types,
    responseTypes: response_types,
    tokenEndpointAuthMethod: token_endpoint_auth_method,
    scope,
    allowedResources: allowed_resources,
    accessTokenTtlSeconds: access_token_lifetime ?? null,
    metadata: rest as Record<string, unknown>,
  };
}
