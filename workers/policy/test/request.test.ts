/** Parsing of authorization requests: the action forms, structural checks and every named limit. */
import { describe, expect, it } from 'vitest';
import { ProblemError } from '../../../shared/errors.js';
import { LIMITS, type LimitName } from '../src/domain/limits.js';
import { parseAction, parseAuthorizationRequest, parseEntityBody } from '../src/domain/request.js';

const valid = () => ({
  principal: { type: 'Admin', id: 'alice' },
  action: 'Admin::keys_rotate',
  resource: { type: 'AdminEndpoint', id: 'keys' },
  context: { method: 'POST' },
  entities: [{ uid: { type: 'Admin', id: 'alice' }, attrs: { roles: ['secops'] } }],
});

function problem(fn: () => unknown): ProblemError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProblemError) return err;
    throw err;
  }
  throw new Error('expected a ProblemError');
}

describe('action forms', () => {
  it.each([
    ['Admin::keys_rotate', 'Admin_keys_rotate'],
    ['Admin::users_read_one', 'Admin_users_read_one'],
    ['OAuth::token', 'OAuth_token'],
    ['User::read_profile', 'User_read_profile'],
    ['Admin::access:GET', 'Admin_access:GET'],
    ['keys_read', 'keys_read'],
    ['a::b::c', 'a_b_c'],
  ])('original string form %s → Action::"%s"', (input, id) => {
    expect(parseAction(input)).toEqual({ type: 'Action', id });
  });

  it.each([
    ['Action::"Admin_keys_rotate"', { type: 'Action', id: 'Admin_keys_rotate' }],
    ['Action::"read"', { type: 'Action', id: 'read' }],
    ['Ns::Action::"x"', { type: 'Ns::Action', id: 'x' }],
    ['Action::"with \\"quotes\\" and \\\\"', { type: 'Action', id: 'with "quotes" and \\' }],
    ['Action::"caf\\u{e9}"', { type: 'Action', id: 'café' }],
    ['Action::""', { type: 'Action', id: '' }],
  ])('Cedar reference %s', (input, uid) => {
    expect(parseAction(input)).toEqual(uid);
  });

  it('accepts {type, id} and the __entity escape', () => {
    expect(parseAction({ type: 'Action', id: 'read' })).toEqual({ type: 'Action', id: 'read' });
    expect(parseAction({ __entity: { type: 'App::Action', id: 'x' } })).toEqual({ type: 'App::Action', id: 'x' });
  });

  it.each([
    ['User::"alice"', /must name Action/],
    [{ type: 'User', id: 'x' }, /must be Action/],
    ['Action::"bad \\q escape"', /invalid escape/],
    ['Action::"x', /neither a Cedar action reference/],
    ['', /non-empty/],
    [7, /non-empty string or an object/],
    ['Admin::keys\u0000rotate', /control characters/],
  ])('rejects %j', (input, message) => {
    const err = problem(() => parseAction(input));
    expect(err.status).toBe(400);
    expect(err.message).toMatch(message);
  });
});

describe('structure', () => {
  it('parses a complete request', () => {
    const r = parseAuthorizationRequest({ ...valid(), request_id: 'req-1' });
    expect(r).toEqual({
      requestId: 'req-1',
      principal: { type: 'Admin', id: 'alice' },
      action: { type: 'Action', id: 'Admin_keys_rotate' },
      resource: { type: 'AdminEndpoint', id: 'keys' },
      context: { method: 'POST' },
      entities: [{ uid: { type: 'Admin', id: 'alice' }, attrs: { roles: ['secops'] } }],
    });
  });

  it('keeps "parents absent" distinct from "parents empty" (merge semantics)', () => {
    const a = parseAuthorizationRequest(valid());
    expect(a.entities[0]?.parents).toBeUndefined();
    const b = parseAuthorizationRequest({
      ...valid(),
      entities: [{ uid: { type: 'Admin', id: 'alice' }, attrs: {}, parents: [] }],
    });
    expect(b.entities[0]?.parents).toEqual([]);
  });

  it.each([
    ['missing principal', (b: any) => delete b.principal, /principal: must be an object/],
    ['unknown field', (b: any) => (b.subject = 1), /subject: is not a field/],
    ['bad entity type name', (b: any) => (b.principal.type = 'not a type'), /not a Cedar entity type name/],
    ['entity id not a string', (b: any) => (b.resource.id = 5), /resource.id: must be a string/],
    ['context not an object', (b: any) => (b.context = [1]), /context: must be an object/],
    ['null in context', (b: any) => (b.context.x = null), /null is not a Cedar value/],
    ['fraction in context', (b: any) => (b.context.x = 1.5), /integers/],
    ['entities not an array', (b: any) => (b.entities = {}), /entities: must be an array/],
    ['duplicate entity', (b: any) => b.entities.push(b.entities[0]), /duplicate entity/],
    [
      'action entity supplied',
      (b: any) => b.entities.push({ uid: { type: 'Action', id: 'x' } }),
      /action entities come from the schema/,
    ],
    ['unknown entity field', (b: any) => (b.entities[0].children = []), /unexpected field children/],
    ['request_id with control characters', (b: any) => (b.request_id = 'a\nb'), /control characters/],
  ])('%s → 400', (_, mutate, message) => {
    const body = valid();
    mutate(body);
    const err = problem(() => parseAuthorizationRequest(body));
    expect(err.status).toBe(400);
    expect(err.code).toBe('ERR_VALIDATION');
    expect(err.message).toMatch(message);
  });

  it('parses a stored-entity body and refuses unknown fields', () => {
    expect(parseEntityBody({ type: 'User', id: 'u1' }, { attrs: { clearance: 'high' } })).toEqual({
      uid: { type: 'User', id: 'u1' },
      attrs: { clearance: 'high' },
      parents: [],
    });
    expect(problem(() => parseEntityBody({ type: 'User', id: 'u1' }, { tags: {} })).message).toMatch(
      /tags: is not a field/,
    );
  });
});

const nest = (levels: number): Record<string, unknown> => (levels <= 0 ? { leaf: 1 } : { n: nest(levels - 1) });

/** One way to cross each limit, starting from a valid request. */
const CROSSINGS: Record<LimitName, (b: any) => void> = {
  max_batch_size: () => {}, // batch-level: covered in the HTTP and batch tests
  max_batch_request_bytes: () => {}, // a body size (413): covered in the HTTP tests
  max_json_depth: (b) => (b.context = { deep: nest(LIMITS.max_json_depth) }),
  max_entities: (b) =>
    (b.entities = Array.from({ length: LIMITS.max_entities + 1 }, (_, i) => ({ uid: { type: 'User', id: `u${i}` } }))),
  max_context_keys: (b) =>
    (b.context = Object.fromEntries(Array.from({ length: LIMITS.max_context_keys + 1 }, (_, i) => [`k${i}`, i]))),
  max_entity_attributes: (b) =>
    (b.entities[0].attrs = Object.fromEntries(
      Array.from({ length: LIMITS.max_entity_attributes + 1 }, (_, i) => [`a${i}`, i]),
    )),
  max_entity_parents: (b) =>
    (b.entities[0].parents = Array.from({ length: LIMITS.max_entity_parents + 1 }, (_, i) => ({
      type: 'Group',
      id: `g${i}`,
    }))),
  max_collection_size: (b) => (b.context.list = Array.from({ length: LIMITS.max_collection_size + 1 }, (_, i) => i)),
  max_request_id_length: (b) => (b.request_id = 'r'.repeat(LIMITS.max_request_id_length + 1)),
  max_type_length: (b) => (b.principal.type = `T${'x'.repeat(LIMITS.max_type_length)}`),
  max_entity_id_length: (b) => (b.resource.id = 'i'.repeat(LIMITS.max_entity_id_length + 1)),
  max_action_length: (b) => (b.action = `Admin::${'a'.repeat(LIMITS.max_action_length)}`),
  max_string_length: (b) => (b.context.note = 's'.repeat(LIMITS.max_string_length + 1)),
};

describe('limits', () => {
  const perRequest = (Object.keys(CROSSINGS) as LimitName[]).filter(
    (l) => l !== 'max_batch_size' && l !== 'max_batch_request_bytes',
  );

  it.each(perRequest)('%s → 400 naming the limit', (limit) => {
    const body = valid();
    CROSSINGS[limit](body);
    const err = problem(() => parseAuthorizationRequest(body));
    expect(err.status).toBe(400);
    expect(err.extra).toMatchObject({ limit, max: LIMITS[limit] });
    expect(err.message).toContain(limit);
  });

  it.each(perRequest)('%s: exactly at the limit is accepted', (limit) => {
    const body = valid();
    // Each crossing goes one past the limit; the value at the limit itself must parse.
    const atLimit: Partial<Record<LimitName, (b: any) => void>> = {
      max_json_depth: (b) => (b.context = { deep: nest(LIMITS.max_json_depth - 3) }),
      max_entities: (b) =>
        (b.entities = Array.from({ length: LIMITS.max_entities }, (_, i) => ({ uid: { type: 'User', id: `u${i}` } }))),
      max_context_keys: (b) =>
        (b.context = Object.fromEntries(Array.from({ length: LIMITS.max_context_keys }, (_, i) => [`k${i}`, i]))),
      max_entity_attributes: (b) =>
        (b.entities[0].attrs = Object.fromEntries(
          Array.from({ length: LIMITS.max_entity_attributes }, (_, i) => [`a${i}`, i]),
        )),
      max_entity_parents: (b) =>
        (b.entities[0].parents = Array.from({ length: LIMITS.max_entity_parents }, (_, i) => ({
          type: 'Group',
          id: `g${i}`,
        }))),
      max_collection_size: (b) => (b.context.list = Array.from({ length: LIMITS.max_collection_size }, (_, i) => i)),
      max_request_id_length: (b) => (b.request_id = 'r'.repeat(LIMITS.max_request_id_length)),
      max_type_length: (b) => (b.principal.type = `T${'x'.repeat(LIMITS.max_type_length - 1)}`),
      max_entity_id_length: (b) => (b.resource.id = 'i'.repeat(LIMITS.max_entity_id_length)),
      max_action_length: (b) => (b.action = `Admin::${'a'.repeat(LIMITS.max_action_length - 7)}`),
      max_string_length: (b) => (b.context.note = 's'.repeat(LIMITS.max_string_length)),
    };
    atLimit[limit]?.(body);
    expect(() => parseAuthorizationRequest(body)).not.toThrow();
  });
});
