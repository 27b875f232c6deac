/**
 * Parsing of one authorization request (`POST /v1/authorize` body, or one item of a batch) into the shape the
 * engine evaluates. Pure: no I/O, no Cedar. Every structural problem and every crossed limit is a
 * `ProblemError` (400) naming the field path and, for limits, the limit.
 *
 * The action is accepted in two forms:
 * - a Cedar action reference: `{"type": "Action", "id": "Admin_keys_rotate"}` or the string
 *   `Action::"Admin_keys_rotate"` (any namespace: `Ns::Action::"x"`);
 * - the original policy service's string form, kept for compatibility: every `::` becomes `_` and the result
 *   is the id of an `Action` entity, so `"Admin::keys_rotate"` means `Action::"Admin_keys_rotate"`,
 *   `"OAuth::token"` means `Action::"OAuth_token"` and `"keys_read"` means `Action::"keys_read"`.
 */
import type { ProblemError } from '../../../../shared/errors.js';
import type { CedarValueJson } from './cedar.js';
import { invalidRequest, LIMITS, limitExceeded } from './limits.js';

export interface EntityUid {
  type: string;
  id: string;
}

export interface EntityInput {
  uid: EntityUid;
  attrs: Record<string, CedarValueJson>;
  /** Absent: keep the stored entity's parents (if any). Present (even empty): replace them. */
  parents?: EntityUid[];
  tags?: Record<string, CedarValueJson>;
}

export interface AuthorizationRequest {
  requestId?: string;
  principal: EntityUid;
  action: EntityUid;
  resource: EntityUid;
  context: Record<string, CedarValueJson>;
  entities: EntityInput[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*(::[A-Za-z_][A-Za-z0-9_]*)*$/;
// Control characters have no business in identifiers and poison logs.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
const CEDAR_ACTION_REF = /^([A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)*)::"((?:[^"\\]|\\.)*)"$/s;

export const uidKey = (uid: EntityUid): string => `${uid.type}::${JSON.stringify(uid.id)}`;

/** True for `Action` and `Ns::Action`: action entities come from the schema, never from a request. */
export const isActionType = (type: string): boolean => type === 'Action' || type.endsWith('::Action');

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Depth of a JSON value (a scalar is 0, `{}` is 1); stops counting once past `limit`. */
export function jsonDepthExceeds(value: unknown, limit: number, depth = 0): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (depth + 1 > limit) return true;
  for (const v of Array.isArray(value) ? value : Object.values(value)) {
    if (jsonDepthExceeds(v, limit, depth + 1)) return true;
  }
  return false;
}

function typeName(value: unknown, path: string): string {
  if (typeof value !== 'string' || value === '') throw invalidRequest(path, 'must be a non-empty string');
  if (value.length > LIMITS.max_type_length) throw limitExceeded('max_type_length', path);
  if (!NAME.test(value)) throw invalidRequest(path, 'is not a Cedar entity type name');
  return value;
}

function entityId(value: unknown, path: string): string {
  if (typeof value !== 'string') throw invalidRequest(path, 'must be a string');
  if (value.length > LIMITS.max_entity_id_length) throw limitExceeded('max_entity_id_length', path);
  if (CONTROL.test(value)) throw invalidRequest(path, 'contains control characters');
  return value;
}

/** `{type, id}` or Cedar's escaped form `{"__entity": {type, id}}`. */
export function parseUid(value: unknown, path: string): EntityUid {
  if (!isRecord(value)) throw invalidRequest(path, 'must be an object {type, id}');
  const inner = isRecord(value.__entity) ? value.__entity : value;
  const extra = Object.keys(inner).filter((k) => k !== 'type' && k !== 'id');
  if (extra.length > 0) throw invalidRequest(path, `unexpected field ${extra[0]}`);
  return { type: typeName(inner.type, `${path}.type`), id: entityId(inner.id, `${path}.id`) };
}

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '0': '\0', '\\': '\\', '"': '"', "'": "'" };

/** Cedar string-literal escapes (`\"`, `\\`, `\n`, `\u{…}` …) inside `Action::"…"`. */
function unescapeCedarString(text: string, path: string): string {
  return text.replace(/\\(u\{[0-9a-fA-F]{1,6}\}|.)/gs, (_, esc: string) => {
    if (esc.length === 1 && esc in SIMPLE_ESCAPES) return SIMPLE_ESCAPES[esc] as string;
    const code = esc.startsWith('u{') ? Number.parseInt(esc.slice(2, -1), 16) : Number.NaN;
    if (!(code <= 0x10ffff)) throw invalidRequest(path, 'contains an invalid escape sequence');
    return String.fromCodePoint(code);
  });
}

/** The action in either accepted form, as an entity uid. */
export function parseAction(value: unknown, path = 'action'): EntityUid {
  if (isRecord(value)) {
    const uid = parseUid(value, path);
    if (!isActionType(uid.type)) throw invalidRequest(`${path}.type`, 'must be Action or <Namespace>::Action');
    if (uid.id.length > LIMITS.max_action_length) throw limitExceeded('max_action_length', `${path}.id`);
    return uid;
  }
  if (typeof value !== 'string' || value === '') {
    throw invalidRequest(path, 'must be a non-empty string or an object {type, id}');
  }
  if (value.length > LIMITS.max_action_length) throw limitExceeded('max_action_length', path);
  const ref = CEDAR_ACTION_REF.exec(value);
  if (ref) {
    const type = ref[1] as string;
    if (!isActionType(type)) throw invalidRequest(path, 'a Cedar reference must name Action or <Namespace>::Action');
    const id = unescapeCedarString(ref[2] as string, path);
    if (CONTROL.test(id)) throw invalidRequest(path, 'contains control characters');
    return { type, id };
  }
  // The legacy string form: "Admin::keys_rotate" → Action::"Admin_keys_rotate".
  if (CONTROL.test(value)) throw invalidRequest(path, 'contains control characters');
  if (value.includes('"')) throw invalidRequest(path, 'is neither a Cedar action reference nor an action name');
  return { type: 'Action', id: value.split('::').join('_') };
}

/** Walks a Cedar JSON value (context, attributes) checking string lengths and collection sizes. */
function checkValue(value: unknown, path: string): void {
  if (typeof value === 'string') {
    if (value.length > LIMITS.max_string_length) throw limitExceeded('max_string_length', path);
    return;
  }
  if (typeof value === 'number') {
    // Cedar longs are 64-bit integers; a fraction or an unsafe integer cannot be represented faithfully.
    if (!Number.isSafeInteger(value)) throw invalidRequest(path, 'numbers must be integers (Cedar Long)');
    return;
  }
  if (typeof value === 'boolean') return;
  if (value === null) throw invalidRequest(path, 'null is not a Cedar value');
  if (Array.isArray(value)) {
    if (value.length > LIMITS.max_collection_size) throw limitExceeded('max_collection_size', path);
    for (let i = 0; i < value.length; i++) checkValue(value[i], `${path}[${i}]`);
    return;
  }
  if (isRecord(value)) {
    const keys = Object.keys(value);
    if (keys.length > LIMITS.max_collection_size) throw limitExceeded('max_collection_size', path);
    for (const k of keys) {
      if (k.length > LIMITS.max_string_length) throw limitExceeded('max_string_length', `${path} key`);
      checkValue(value[k], `${path}.${k}`);
    }
    return;
  }
  throw invalidRequest(path, 'is not a JSON value');
}

function parseRecord(value: unknown, path: string, maxKeys: 'max_context_keys' | 'max_entity_attributes') {
  if (value === undefined) return {};
  if (!isRecord(value)) throw invalidRequest(path, 'must be an object');
  if (Object.keys(value).length > LIMITS[maxKeys]) throw limitExceeded(maxKeys, path);
  checkValue(value, path);
  return value as Record<string, CedarValueJson>;
}

function parseEntity(value: unknown, path: string): EntityInput {
  if (!isRecord(value)) throw invalidRequest(path, 'must be an object {uid, attrs?, parents?}');
  const extra = Object.keys(value).filter((k) => !['uid', 'attrs', 'parents', 'tags'].includes(k));
  if (extra.length > 0) throw invalidRequest(path, `unexpected field ${extra[0]}`);
  const uid = parseUid(value.uid, `${path}.uid`);
  if (isActionType(uid.type)) {
    throw invalidRequest(`${path}.uid`, 'action entities come from the schema and cannot be supplied');
  }
  const entity: EntityInput = { uid, attrs: parseRecord(value.attrs, `${path}.attrs`, 'max_entity_attributes') };
  if (value.parents !== undefined) {
    if (!Array.isArray(value.parents)) throw invalidRequest(`${path}.parents`, 'must be an array');
    if (value.parents.length > LIMITS.max_entity_parents) throw limitExceeded('max_entity_parents', `${path}.parents`);
    entity.parents = value.parents.map((p, i) => parseUid(p, `${path}.parents[${i}]`));
  }
  if (value.tags !== undefined) entity.tags = parseRecord(value.tags, `${path}.tags`, 'max_entity_attributes');
  return entity;
}

/** The body of `PUT /v1/entities/:type/:id`: `{attrs?, parents?}` for the entity `uid`. */
export function parseEntityBody(
  uid: EntityUid,
  body: unknown,
): { uid: EntityUid; attrs: Record<string, CedarValueJson>; parents: EntityUid[] } {
  if (!isRecord(body)) throw invalidRequest('body', 'must be a JSON object {attrs?, parents?}');
  if (jsonDepthExceeds(body, LIMITS.max_json_depth)) throw limitExceeded('max_json_depth', 'body');
  const unknown = Object.keys(body).find((k) => k !== 'attrs' && k !== 'parents');
  if (unknown !== undefined) throw invalidRequest(unknown, 'is not a field of a stored entity (attrs, parents)');
  const entity = parseEntity({ uid, ...body }, 'entity');
  return { uid: entity.uid, attrs: entity.attrs, parents: entity.parents ?? [] };
}

const REQUEST_FIELDS = new Set(['request_id', 'principal', 'action', 'resource', 'context', 'entities']);

/** Parses one authorization request. `path` prefixes field names in errors (e.g. `requests[3]`). */
export function parseAuthorizationRequest(value: unknown, path = ''): AuthorizationRequest {
  const at = (field: string) => (path ? `${path}.${field}` : field);
  if (!isRecord(value)) throw invalidRequest(path || 'body', 'must be a JSON object');
  if (jsonDepthExceeds(value, LIMITS.max_json_depth)) throw limitExceeded('max_json_depth', path || 'body');
  const unknown = Object.keys(value).find((k) => !REQUEST_FIELDS.has(k));
  if (unknown !== undefined) throw invalidRequest(at(unknown), 'is not a field of an authorization request');
  const request: AuthorizationRequest = {
    principal: parseUid(value.principal, at('principal')),
    action: parseAction(value.action, at('action')),
    resource: parseUid(value.resource, at('resource')),
    context: parseRecord(value.context, at('context'), 'max_context_keys'),
    entities: [],
  };
  if (value.request_id !== undefined) {
    const id = value.request_id;
    if (typeof id !== 'string' || id === '') throw invalidRequest(at('request_id'), 'must be a non-empty string');
    if (id.length > LIMITS.max_request_id_length) throw limitExceeded('max_request_id_length', at('request_id'));
    if (CONTROL.test(id)) throw invalidRequest(at('request_id'), 'contains control characters');
    request.requestId = id;
  }
  if (value.entities !== undefined) {
    if (!Array.isArray(value.entities)) throw invalidRequest(at('entities'), 'must be an array');
    if (value.entities.length > LIMITS.max_entities) throw limitExceeded('max_entities', at('entities'));
    const seen = new Set<string>();
    request.entities = value.entities.map((e, i) => {
      const entity = parseEntity(e, `${at('entities')}[${i}]`);
      const key = uidKey(entity.uid);
      if (seen.has(key)) throw invalidRequest(`${at('entities')}[${i}].uid`, 'duplicate entity');
      seen.add(key);
      return entity;
    });
  }
  return request;
}

/** The error body a batch item carries in place of a decision. */
export function itemError(err: ProblemError, requestId: string | undefined) {
  return {
    request_id: requestId ?? null,
    error: { status: err.status, code: err.code, title: err.title, detail: err.message, ...err.extra },
  };
}
