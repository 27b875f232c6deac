/**
 * The decision API's request/response mapping: one request or a batch in, decision bodies out. The only
 * I/O is loading the active snapshot, done by the caller; everything here is synchronous so one batch is
 * decided by one consistent version.
 */
import { ProblemError } from '../../../../shared/errors.js';
import type { ActiveSnapshot } from './snapshot.js';
import { type DecisionError, decide } from './decide.js';
import { invalidRequest, LIMITS, limitExceeded } from './limits.js';
import { type AuthorizationRequest, type EntityUid, itemError, parseAuthorizationRequest } from './request.js';

export interface DecisionBody {
  decision: 'Allow' | 'Deny';
  request_id: string | null;
  policy_version: number;
  reasons: string[];
  errors: DecisionError[];
  /** Present when the store overrode supplied entities: their uids (stored entities are authoritative). */
  ignored_entities?: EntityUid[];
}

export type BatchItem = { request: AuthorizationRequest } | { error: ProblemError; requestId?: string };

export function decisionBody(
  snapshot: ActiveSnapshot,
  request: AuthorizationRequest,
  fallbackRequestId: string | null,
): DecisionBody {
  const d = decide(snapshot.set, snapshot.entities, request);
  const body: DecisionBody = {
    decision: d.decision,
    request_id: request.requestId ?? fallbackRequestId,
    policy_version: snapshot.version,
    reasons: d.reasons,
    errors: d.errors,
  };
  if (d.ignored.length > 0) body.ignored_entities = d.ignored;
  return body;
}

/** Parses a batch body; a malformed item becomes an error entry in place, never a failed batch. */
export function parseBatch(body: unknown): BatchItem[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidRequest('body', 'must be a JSON object {requests: [...]}');
  }
  const fields = Object.keys(body);
  const unknown = fields.find((k) => k !== 'requests');
  if (unknown !== undefined) throw invalidRequest(unknown, 'is not a field of a batch request');
  const requests = (body as { requests?: unknown }).requests;
  if (!Array.isArray(requests)) throw invalidRequest('requests', 'must be an array');
  if (requests.length === 0) throw invalidRequest('requests', 'must not be empty');
  if (requests.length > LIMITS.max_batch_size) throw limitExceeded('max_batch_size', 'requests');
  return requests.map((item, i) => {
    try {
      return { request: parseAuthorizationRequest(item, `requests[${i}]`) };
    } catch (err) {
      if (!(err instanceof ProblemError)) throw err;
      const rid = (item as { request_id?: unknown } | null)?.request_id;
      const requestId = typeof rid === 'string' && rid.length <= LIMITS.max_request_id_length ? rid : undefined;
      return { error: err, requestId };
    }
  });
}

export function batchBody(snapshot: ActiveSnapshot | undefined, items: BatchItem[]) {
  return {
    policy_version: snapshot?.version ?? null,
    decisions: items.map((item) => {
      if ('error' in item) return itemError(item.error, item.requestId);
      // parseBatch only yields requests when a snapshot was loaded for them.
      return decisionBody(snapshot as ActiveSnapshot, item.request, null);
    }),
  };
}
