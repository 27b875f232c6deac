/**
 * Input limits of the decision API (request_id, entity ids, actions, nesting, context keys, ...); every limit
 * has a stable name that a 400 (or 413) reports, so a caller knows exactly which one it crossed.
 *
 * Body sizes: a single decision request is bounded by MAX_BODY_BYTES (`max_request_bytes`, 64 KiB by default);
 * a batch by `max_batch_request_bytes` (1 MiB), sized for `max_batch_size` (100) requests that carry their
 * entities: about 10 KiB per item. A realistic item (principal, resource, six team members, context) is ~1.8 KB,
 * so a full batch is ~180 KB; the limit leaves room for larger entity sets. What bounds a batch's cost is CPU (one
 * JSON.parse and up to 100 Cedar evaluations), not memory.
 */
import { ProblemError } from '../../../../shared/errors.js';

export const LIMITS = {
  /** Authorization requests in one batch. */
  max_batch_size: 100,
  /** Bytes of a batch request's body (a single request's body is bounded by MAX_BODY_BYTES). */
  max_batch_request_bytes: 1024 * 1024,
  /** Nesting of one authorization request (the request object itself is level 1). */
  max_json_depth: 10,
  /** Entities supplied with one request. */
  max_entities: 100,
  /** Keys of `context` (top level). */
  max_context_keys: 50,
  /** Attributes (or tags) of one supplied entity. */
  max_entity_attributes: 64,
  /** Parents of one supplied entity. */
  max_entity_parents: 32,
  /** Elements of any array (Cedar set) or keys of any nested record. */
  max_collection_size: 256,
  /** `request_id`. */
  max_request_id_length: 128,
  /** Entity type names (principal, resource, supplied entities, parents). */
  max_type_length: 128,
  /** Entity ids. */
  max_entity_id_length: 512,
  /** The action (either form). */
  max_action_length: 256,
  /** Any string value in `context` or in entity attributes, and any attribute name. */
  max_string_length: 4096,
} as const;

export type LimitName = keyof typeof LIMITS;

/** A 400 naming the limit, its value and where in the request it was crossed. */
export function limitExceeded(limit: LimitName, path: string): ProblemError {
  return new ProblemError('ERR_VALIDATION', 400, 'Limit Exceeded', `${path} exceeds ${limit} (${LIMITS[limit]})`, {
    limit,
    max: LIMITS[limit],
    path,
  });
}

/** A 400 for a structurally invalid request (wrong type, missing field, bad characters). */
export function invalidRequest(path: string, reason: string): ProblemError {
  return new ProblemError('ERR_VALIDATION', 400, 'Invalid Authorization Request', `${path}: ${reason}`, { path });
}
