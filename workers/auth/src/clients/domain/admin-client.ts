/**
 * What an operator sees and changes of a client through the admin API (pure). The operator holds the authority
 * the initial access token stands for: an update may widen scope, resources and grant types, and the approved
 * ceiling moves with it (registration-ceiling.ts); rate limits and the first-party flag are the operator's only.
 */
import {
  type ClientMetadata,
  ClientMetadataError,
  type MetadataPolicy,
  parseRateLimit,
  validateClientMetadata,
} from './client-metadata.js';
import type { AdminClientChange, ClientRow } from './client-store.js';
import { approvalOf } from './registration-ceiling.js';

/** Fields an operator's update may carry besides the RFC 7591 metadata. */
const OPERATOR_FIELDS = ['rate_limit', 'first_party'] as const;

/** The admin API's view of a client: no secret or token hash, ever. */
export function adminClientView(row: ClientRow): Record<string, unknown> {
  return {
    client_id: row.clientId,
    status: row.lifecycle,
    first_party: row.firstParty,
    ...row.metadata,
    rate_limit: row.rateLimit
      ? { capacity: row.rateLimit.capacity, refill_per_second: row.rateLimit.refillPerSecond }
      : null,
    approved: {
      scope: row.approval.scope.join(' '),
      resources: row.approval.resources,
      grant_types: row.approval.grantTypes,
    },
    client_id_issued_at: row.clientIdIssuedAt,
    version: row.version,
  };
}

/** A new client's metadata and the operator's settings (throws ClientMetadataError). */
export function operatorRegistration(
  doc: Record<string, unknown>,
  policy: MetadataPolicy,
): { metadata: ClientMetadata; rateLimit: AdminClientChange['rateLimit']; firstParty: boolean } {
  const metadata = validateClientMetadata(withoutOperatorFields(doc), { ...policy, privileged: true });
  return {
    metadata,
    rateLimit: parseRateLimit(doc.rate_limit) ?? null,
    firstParty: firstPartyOf(doc.first_party) ?? false,
  };
}

/**
 * An operator's partial update: the given metadata fields replace the current ones (null removes an optional
 * one), the result is validated as a whole, and the approval becomes exactly what is then registered. An update of
 * operator fields only (first_party, rate_limit) leaves the metadata and approval as they are, so it also applies
 * to a client registered with the authorization-code rules (the dashboard's own client, say).
 */
export function operatorUpdate(
  row: ClientRow,
  patch: Record<string, unknown>,
  policy: MetadataPolicy,
): Omit<AdminClientChange, 'expectedVersion'> {
  const fields = Object.entries(withoutOperatorFields(patch));
  const change: Omit<AdminClientChange, 'expectedVersion'> = {};
  if (fields.length > 0) {
    const merged: Record<string, unknown> = { ...row.metadata };
    for (const [name, value] of fields) {
      if (value === null) delete merged[name];
      else merged[name] = value;
    }
    change.metadata = validateClientMetadata(merged, { ...policy, privileged: true });
    change.approval = approvalOf(change.metadata);
  }
  if ('rate_limit' in patch) change.rateLimit = parseRateLimit(patch.rate_limit) ?? null;
  const firstParty = firstPartyOf(patch.first_party);
  if (firstParty !== undefined) change.firstParty = firstParty;
  return change;
}

function withoutOperatorFields(doc: Record<string, unknown>): Record<string, unknown> {
  const rest = { ...doc };
  for (const name of OPERATOR_FIELDS) delete rest[name];
  return rest;
}

function firstPartyOf(value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean')
    throw new ClientMetadataError('invalid_client_metadata', 'first_party must be a boolean');
  return value;
}
