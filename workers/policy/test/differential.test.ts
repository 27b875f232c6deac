/**
 * Differential test: the service's decision (request parsing → entity merge and reachability → sliced,
 * pre-parsed Cedar evaluation, i.e. what `POST /v1/authorize` runs) against a direct, stateless
 * `@cedar-policy/cedar-wasm` `isAuthorized` call with the complete policy set, the complete schema and every
 * entity (stored entities with the request's entities merged over them, as documented).
 *
 * Several hundred seeded random requests per policy set; a failure prints the seed and the request, so it
 * reproduces with `POLICY_DIFF_SEED=<seed>`. Decision, deciding policies and erroring policies must match.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { type EntityJson as CedarEntity, engine } from '../src/domain/cedar.js';
import { decide } from '../src/domain/decide.js';
import { DEFAULT_POLICY_SOURCE } from '../src/domain/default-policy.js';
import { indexEntities } from '../src/domain/entities.js';
import { CompiledPolicySet } from '../src/domain/policy-set.js';
import { parseAuthorizationRequest } from '../src/domain/request.js';
import {
  ACTIONS,
  DEPTS,
  DOCUMENTS,
  FOLDERS,
  GENERATED_SCHEMA,
  generateEntities,
  generatePolicies,
  randomUserAttrs,
  TEAMS,
  USERS,
} from './fixtures/generated-policies.js';
import { Prng } from './fixtures/prng.js';

const SEED = Number((env as { POLICY_DIFF_SEED?: string }).POLICY_DIFF_SEED || 20261126);

const STATELESS_EVERY = 10;

interface Uid {
  type: string;
  id: string;
}
/** Entities as the generators build them (plain JSON values); handed to Cedar as its EntityJson. */
interface EntityJson {
  uid: Uid;
  attrs: Record<string, unknown>;
  parents: Uid[];
}
const asCedar = (entities: EntityJson[]) => entities as unknown as CedarEntity[];
interface Generated {
  body: Record<string, unknown>;
  /** What Cedar is asked directly, built independently of the service's parser. */
  direct: { principal: Uid; action: Uid; resource: Uid; context: Record<string, unknown>; supplied: EntityJson[] };
}

/** The documented merge: request attributes over stored ones, request parents/tags replace when given. */
/** The reference rule: a stored entity is used as stored; a supplied one only when the store lacks its uid. */
function mergeAll(stored: EntityJson[], supplied: (EntityJson & { parentsGiven?: boolean })[]): EntityJson[] {
  const key = (u: Uid) => `${u.type}\u0000${u.id}`;
  const out = new Map(stored.map((e) => [key(e.uid as Uid), e]));
  for (const s of supplied) {
    if (!out.has(key(s.uid as Uid))) out.set(key(s.uid as Uid), { uid: s.uid, attrs: s.attrs, parents: s.parents });
  }
  return [...out.values()];
}

function toBodyEntity(e: EntityJson & { parentsGiven?: boolean }) {
  return e.parentsGiven ? { uid: e.uid, attrs: e.attrs, parents: e.parents } : { uid: e.uid, attrs: e.attrs };
}

/** A Cedar answer with its sets (reasons, errors) in a stable order, for comparing two answers. */
function normalize(answer: ReturnType<ReturnType<typeof engine>['isAuthorized']>) {
  if (answer.type === 'failure') return { failure: answer.errors.map((e) => e.message).sort() };
  const { decision, diagnostics } = answer.response;
  return {
    decision,
    reason: [...diagnostics.reason].sort(),
    errors: diagnostics.errors.map((e) => `${e.policyId}: ${e.error.message}`).sort(),
  };
}

/** Action in one of the three accepted spellings. */
function spellAction(r: Prng, id: string): unknown {
  const legacy = /^(Admin|OAuth|User)_(.+)$/.exec(id);
  const form = r.int(3);
  if (form === 0) return { type: 'Action', id };
  if (form === 1 || !legacy) return `Action::${JSON.stringify(id)}`;
  return `${legacy[1]}::${legacy[2]}`;
}

function runDifferential(opts: {
  name: string;
  policies: string;
  schema: string;
  stored: EntityJson[];
  generate: (r: Prng) => Generated;
  count: number;
  seed: number;
}) {
  const set = new CompiledPolicySet({ version: 1, policies: opts.policies, schema: opts.schema });
  const staticPolicies = Object.fromEntries(set.policies.map((p) => [p.id, p.text]));
  const storedIndex = indexEntities(asCedar(opts.stored));
  const fullId = `differential-${opts.name}`;
  expect(engine().preparsePolicySet(fullId, { staticPolicies }).type).toBe('success');
  expect(engine().preparseSchema(fullId, opts.schema).type).toBe('success');
  let statelessChecks = 0;
  const tally = { Allow: 0, Deny: 0, failures: 0, withErrors: 0, forbids: 0 };
  const r = new Prng(opts.seed);
  let svcMs = 0;
  let directMs = 0;
  for (let i = 0; i < opts.count; i++) {
    const g = opts.generate(r);
    const context = `${opts.name} seed=${opts.seed} #${i}: ${JSON.stringify(g.body)}`;
    let t0 = performance.now();
    const service = decide(set, storedIndex, parseAuthorizationRequest(g.body));
    svcMs += performance.now() - t0;
    t0 = performance.now();
    const call = {
      principal: g.direct.principal,
      action: g.direct.action,
      resource: g.direct.resource,
      context: g.direct.context as never,
      validateRequest: true,
      entities: asCedar(mergeAll(opts.stored, g.direct.supplied)),
    };
    // Cedar's stateful API on the complete set and schema (registered once, below) answers every request;
    // every STATELESS_EVERY-th request is also answered by the stateless API, text parsed on the call, and
    // both Cedar answers must agree. (Stateless evaluation is ~10x slower: it bounds the test's duration.)
    const direct = engine().statefulIsAuthorized({
      ...call,
      preparsedPolicySetId: fullId,
      preparsedSchemaName: fullId,
    });
    if (i % STATELESS_EVERY === 0) {
      const stateless = engine().isAuthorized({ ...call, policies: { staticPolicies }, schema: opts.schema });
      expect(normalize(stateless), context).toEqual(normalize(direct));
      statelessChecks++;
    }
    directMs += performance.now() - t0;
    if (direct.type === 'failure') {
      tally.failures++;
      expect(service.decision, context).toBe('Deny');
      expect(service.reasons, context).toEqual([]);
      expect(service.errors.length, context).toBeGreaterThan(0);
      expect(service.errors.map((e) => e.message).sort(), context).toEqual(direct.errors.map((e) => e.message).sort());
      continue;
    }
    const expected = direct.response.decision === 'allow' ? 'Allow' : 'Deny';
    expect(service.decision, context).toBe(expected);
    expect(service.reasons, context).toEqual([...direct.response.diagnostics.reason].sort());
    expect(service.errors.map((e) => e.policy_id).sort(), context).toEqual(
      direct.response.diagnostics.errors.map((e) => e.policyId).sort(),
    );
    tally[expected]++;
    if (service.errors.length > 0) tally.withErrors++;
    if (expected === 'Deny' && service.reasons.length > 0) tally.forbids++;
  }
  expect(statelessChecks).toBeGreaterThanOrEqual(Math.floor(opts.count / STATELESS_EVERY));
  console.log(
    `${opts.name}: ${JSON.stringify(tally)}; service ${svcMs.toFixed(0)} ms, direct ${directMs.toFixed(0)} ms`,
  );
  return tally;
}

// ---- the shipped set ----------------------------------------------------------------------------------------

const ADMIN_ROLES = ['superadmin', 'readonly', 'secops', 'billing', 'user-admin', 'admin', 'guest'];
const SHIPPED_ACTIONS = (() => {
  const schema = new CompiledPolicySet({ version: 0, ...DEFAULT_POLICY_SOURCE }).schema;
  return Object.keys(schema['']?.actions ?? {});
})();

function shippedStore(r: Prng): EntityJson[] {
  const out: EntityJson[] = [];
  const maybe = (attrs: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(attrs).filter(() => r.chance(0.6)));
  for (let i = 0; i < 10; i++) {
    out.push({
      uid: { type: 'Admin', id: `a${i}` },
      attrs: {
        roles: r.subset(ADMIN_ROLES, 0.25),
        ...maybe({ mfa_verified: r.chance(0.5), clearance: r.pick(['low', 'high']) }),
      },
      parents: [],
    });
    out.push({
      uid: { type: 'User', id: `u${i}` },
      attrs: maybe({ authenticated: r.chance(0.5), clearance: r.pick(['low', 'medium', 'high']), status: 'active' }),
      parents: [],
    });
    out.push({
      uid: { type: 'Resource', id: `r${i}` },
      attrs: maybe({ owner: { __entity: { type: 'User', id: `u${r.int(12)}` } }, sensitive: r.chance(0.4) }),
      parents: [],
    });
  }
  for (const area of ['keys', 'users', 'policy', 'billing', 'clients']) {
    out.push({
      uid: { type: 'AdminEndpoint', id: area },
      attrs: maybe({ sensitive: r.chance(0.3), area }),
      parents: [],
    });
  }
  for (let i = 0; i < 5; i++) {
    out.push({
      uid: { type: 'Client', id: `c${i}` },
      attrs: maybe({ status: r.pick(['active', 'disabled']) }),
      parents: [],
    });
    out.push({
      uid: { type: 'OAuthClient', id: `c${i}` },
      attrs: maybe({ status: r.pick(['active', 'suspended']) }),
      parents: [],
    });
  }
  return out;
}

function shippedRequest(r: Prng): Generated {
  const actionId = r.chance(0.03) ? r.pick(['Admin_launch', 'AdminActions', 'delete']) : r.pick(SHIPPED_ACTIONS);
  const family = actionId.startsWith('Admin')
    ? 'admin'
    : actionId.startsWith('OAuth')
      ? 'oauth'
      : actionId === 'User_read_profile'
        ? 'profile'
        : 'read';
  const typesFor: Record<string, [string[], string[]]> = {
    admin: [['Admin'], ['AdminEndpoint']],
    oauth: [['Client'], ['OAuthClient']],
    profile: [['User'], ['User']],
    read: [['User', 'Admin'], ['Resource']],
  };
  const [pTypes, rTypes] = typesFor[family] as [string[], string[]];
  const anyType = ['Admin', 'User', 'Client', 'OAuthClient', 'Resource', 'AdminEndpoint'];
  const pType = r.chance(0.95) ? r.pick(pTypes) : r.pick(anyType);
  const rType = r.chance(0.95) ? r.pick(rTypes) : r.pick(anyType);
  const idFor = (type: string) => {
    const fresh = r.chance(0.15);
    if (fresh) return `new-${r.int(3)}`;
    if (type === 'Admin') return `a${r.int(10)}`;
    if (type === 'User') return `u${r.int(10)}`;
    if (type === 'Resource') return `r${r.int(10)}`;
    if (type === 'AdminEndpoint') return r.pick(['keys', 'users', 'policy', 'billing', 'clients']);
    return `c${r.int(5)}`;
  };
  const principal = { type: pType, id: idFor(pType) };
  const resource =
    rType === 'User' && r.chance(0.5) ? { ...principal, type: 'User' } : { type: rType, id: idFor(rType) };
  const context: Record<string, unknown> = {};
  if (family === 'oauth') {
    if (r.chance(0.8))
      context.grant_type = r.pick(['authorization_code', 'client_credentials', 'refresh_token', 'password']);
    if (r.chance(0.3)) context.scope = 'read write';
  } else {
    if (r.chance(0.7)) context.method = r.pick(['GET', 'POST', 'DELETE']);
    if (r.chance(0.2)) context.path = '/admin/x';
  }
  if (r.chance(0.04)) context.unexpected = 1; // not in the schema: Cedar refuses the request
  if (r.chance(0.03)) context.method = 42; // wrong type
  const supplied: (EntityJson & { parentsGiven?: boolean })[] = [];
  if (r.chance(0.6)) {
    const attrs: Record<string, unknown> = {};
    if (pType === 'Admin') {
      // An Admin that is not stored needs its required `roles`; leaving them out sometimes is a refusal case.
      if (r.chance(0.9)) attrs.roles = r.subset(ADMIN_ROLES, 0.3);
      if (r.chance(0.3)) attrs.mfa_verified = r.chance(0.5);
      if (r.chance(0.3)) attrs.clearance = r.pick(['low', 'high']);
      if (r.chance(0.2)) attrs.authenticated = r.chance(0.5);
    } else if (pType === 'User') {
      if (r.chance(0.5)) attrs.authenticated = r.chance(0.5);
      if (r.chance(0.4)) attrs.clearance = r.pick(['low', 'medium', 'high']);
    } else if (pType === 'Client') {
      if (r.chance(0.5)) attrs.status = r.pick(['active', 'disabled']);
    }
    if (r.chance(0.03)) attrs.shoe_size = 44; // not in the schema
    supplied.push({ uid: principal, attrs, parents: [], parentsGiven: r.chance(0.3) });
  }
  if (r.chance(0.25) && (resource.type !== principal.type || resource.id !== principal.id)) {
    const attrs: Record<string, unknown> = {};
    if (rType === 'Resource' || rType === 'AdminEndpoint' || rType === 'OAuthClient') attrs.sensitive = r.chance(0.5);
    if (rType === 'Resource' && r.chance(0.5)) attrs.owner = { __entity: { type: 'User', id: `u${r.int(12)}` } };
    supplied.push({ uid: resource, attrs, parents: [] });
  }
  const body: Record<string, unknown> = { principal, action: spellAction(r, actionId), resource };
  if (Object.keys(context).length > 0 || r.chance(0.5)) body.context = context;
  if (supplied.length > 0) body.entities = supplied.map(toBodyEntity);
  if (r.chance(0.3)) body.request_id = `diff-${r.int(1e6)}`;
  return { body, direct: { principal, action: { type: 'Action', id: actionId }, resource, context, supplied } };
}

// ---- the generated set (hierarchy, attribute chains, literal entities, evaluation errors) --------------------

function generatedRequest(r: Prng): Generated {
  const actionId = r.chance(0.03) ? r.pick(['ReadLike', 'WriteLike', 'nope']) : r.pick(ACTIONS);
  const principal = { type: r.chance(0.97) ? 'User' : 'Document', id: `u${r.int(USERS + 5)}` };
  const resource = r.chance(0.7)
    ? { type: 'Document', id: `d${r.int(DOCUMENTS + 3)}` }
    : { type: 'Folder', id: `f${r.int(FOLDERS + 2)}` };
  const context: Record<string, unknown> = { mfa: r.chance(0.5), ip_risk: r.int(100), hour: r.int(24) };
  if (r.chance(0.3)) context.channel = r.pick(['internal', 'external']);
  if (r.chance(0.03)) delete context.hour; // required by the schema
  const supplied: (EntityJson & { parentsGiven?: boolean })[] = [];
  if (principal.type === 'User' && r.chance(0.5)) {
    const full = randomUserAttrs(r, true);
    const attrs = Object.fromEntries(Object.entries(full).filter(() => r.chance(0.5)));
    const parentsGiven = r.chance(0.4);
    const parents = parentsGiven ? [{ type: 'Team', id: `t${r.int(TEAMS)}` }] : [];
    // An unstored principal must bring every required attribute, or Cedar refuses it (also compared).
    supplied.push({
      uid: principal,
      attrs: r.chance(0.8) && Number(principal.id.slice(1)) >= USERS ? full : attrs,
      parents,
      parentsGiven,
    });
  }
  if (resource.type === 'Document' && r.chance(0.2)) {
    supplied.push({
      uid: resource,
      attrs: { classification: r.int(10), public: r.chance(0.5) },
      parents: [{ type: 'Folder', id: `f${r.int(FOLDERS)}` }],
      parentsGiven: true,
    });
  }
  const extraId = `u${USERS + r.int(5)}`;
  if (r.chance(0.15) && extraId !== principal.id) {
    // An extra entity reachable only through an attribute (someone's manager or a document owner).
    const id = extraId;
    supplied.push({
      uid: { type: 'User', id },
      attrs: { ...randomUserAttrs(r, false), dept: r.pick(DEPTS) },
      parents: [],
    });
  }
  const body: Record<string, unknown> = { principal, action: spellAction(r, actionId), resource, context };
  if (supplied.length > 0) body.entities = supplied.map(toBodyEntity);
  return { body, direct: { principal, action: { type: 'Action', id: actionId }, resource, context, supplied } };
}

describe('differential: service vs direct cedar-wasm', () => {
  it('shipped set: 400 random requests decide exactly as Cedar does', () => {
    const stored = shippedStore(new Prng(SEED ^ 0x5eed));
    const check = engine().checkParseEntities({ entities: asCedar(stored), schema: DEFAULT_POLICY_SOURCE.schema });
    expect(check.type).toBe('success');
    const tally = runDifferential({
      name: 'shipped',
      ...DEFAULT_POLICY_SOURCE,
      stored,
      generate: shippedRequest,
      count: 400,
      seed: SEED,
    });
    // The generator must exercise every outcome, or the comparison proves little.
    expect(tally.Allow).toBeGreaterThan(60);
    expect(tally.Deny).toBeGreaterThan(60);
    expect(tally.forbids).toBeGreaterThan(10);
    expect(tally.failures).toBeGreaterThan(5);
  });

  it('generated 200-policy set with hierarchy: 300 random requests decide exactly as Cedar does', () => {
    const stored = generateEntities(SEED);
    const check = engine().checkParseEntities({ entities: asCedar(stored), schema: GENERATED_SCHEMA });
    expect(check.type).toBe('success');
    const tally = runDifferential({
      name: 'generated',
      policies: generatePolicies(200, SEED),
      schema: GENERATED_SCHEMA,
      stored,
      generate: generatedRequest,
      count: 300,
      seed: SEED + 1,
    });
    expect(tally.Allow).toBeGreaterThan(40);
    expect(tally.Deny).toBeGreaterThan(40);
    expect(tally.forbids).toBeGreaterThan(10);
    expect(tally.withErrors).toBeGreaterThan(5);
    expect(tally.failures).toBeGreaterThan(3);
  });
});
