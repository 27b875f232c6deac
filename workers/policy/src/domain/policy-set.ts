/**
 * A policy set version compiled for fast decisions: parsed and validated once, then registered with Cedar's
 * pre-parsed (stateful) API so a decision never re-parses policy text or schema.
 *
 * Two exact reductions keep each Cedar call small (Cedar evaluates every policy it is given, and with a schema
 * it materialises every action entity of the schema on every call):
 *
 * - Policy slicing. Scope constraints cannot error and are checked before a policy's conditions, so a policy
 *   whose action scope cannot match the request's action, or whose `is`/`==` principal or resource scope names
 *   another entity type, can neither be satisfied nor raise an error. Dropping it changes neither the
 *   decision nor the reasons nor the errors. Each (action, principal type, resource type) gets its own
 *   pre-parsed subset, built on first use.
 * - Schema slicing. A decision's schema keeps every entity and common type but only the requested action and
 *   the action groups it belongs to: request validation reads only that action's `appliesTo`, and policies
 *   can only test the requested action's ancestry. Action entities cannot be supplied by callers, so nothing
 *   else depends on the other actions.
 *
 * Requests outside the schema (unknown action, principal or resource type not in `appliesTo`) use the full set
 * and full schema, so the answer and Cedar's error message are exactly Cedar's.
 */
import { engine, type PolicyJson, type SchemaJson } from './cedar.js';
import { type ParsedPolicy, parsePolicies, parseSchema, type SourceError, validatePolicies } from './policy-source.js';
import { type EntityUid, uidKey } from './request.js';

type Scope = PolicyJson['principal'];
type ActionScope = PolicyJson['action'];

interface ActionInfo {
  uid: EntityUid;
  /** Transitive action groups, as uid keys. */
  ancestors: Set<string>;
  principalTypes: Set<string>;
  resourceTypes: Set<string>;
}

interface Slice {
  policySetId: string;
  schemaName: string;
  /** Entity literals whose data the slice's policies may read: always offered to Cedar when stored. */
  literals: EntityUid[];
  size: number;
}

function asUid(value: unknown): EntityUid | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const inner = (typeof v.__entity === 'object' && v.__entity !== null ? v.__entity : v) as Record<string, unknown>;
  return typeof inner.type === 'string' && typeof inner.id === 'string'
    ? { type: inner.type, id: inner.id }
    : undefined;
}

function addRef(value: unknown, out: Map<string, EntityUid>): void {
  if (typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) {
    for (const v of value) addRef(v, out);
    return;
  }
  const uid = '__entity' in value ? asUid(value) : undefined;
  if (uid) {
    out.set(uidKey(uid), uid);
    return;
  }
  for (const v of Object.values(value)) addRef(v, out);
}

// Operators whose entity-literal operands are compared by uid only: their data is never read.
const UID_ONLY_BOTH = new Set(['==', '!=', 'contains', 'containsAll', 'containsAny']);

/**
 * Entity literals in a condition whose data (attributes, tags, ancestors) evaluation may read, so the stored
 * copy must be offered to Cedar. A literal compared by uid (`==`, `!=`, right of `in`, set membership) needs
 * nothing; anything else is kept, which errs on the safe side. Scope constraints never read a literal's data
 * (`principal in Group::"g"` reads the principal's ancestors).
 */
function dataLiterals(expr: unknown, out: Map<string, EntityUid>, needed = true): void {
  if (typeof expr !== 'object' || expr === null) return;
  if (Array.isArray(expr)) {
    for (const e of expr) dataLiterals(e, out, needed);
    return;
  }
  const node = expr as Record<string, unknown>;
  if ('Value' in node) {
    if (needed) addRef(node.Value, out);
    return;
  }
  if ('Var' in node || 'Slot' in node) return;
  if ('Set' in node) {
    dataLiterals(node.Set, out, needed);
    return;
  }
  for (const [op, arg] of Object.entries(node)) {
    const a = (arg ?? {}) as Record<string, unknown>;
    if (UID_ONLY_BOTH.has(op)) {
      dataLiterals(a.left, out, false);
      dataLiterals(a.right, out, false);
    } else if (op === 'in') {
      dataLiterals(a.left, out, true);
      dataLiterals(a.right, out, false);
    } else if (op === 'is') {
      dataLiterals(a.left, out, true);
      dataLiterals(a.in, out, false);
    } else {
      // Every other operator, extension call or record: its operands are read.
      dataLiterals(Array.isArray(arg) ? arg : Object.values(a), out, true);
    }
  }
}

function policyDataLiterals(policies: readonly ParsedPolicy[]): EntityUid[] {
  const out = new Map<string, EntityUid>();
  for (const p of policies) for (const c of p.json.conditions) dataLiterals(c.body, out);
  return [...out.values()];
}

const qualify = (namespace: string, name: string, schema: SchemaJson<string>): string => {
  if (name.includes('::') || namespace === '') return name;
  return schema[namespace]?.entityTypes?.[name] ? `${namespace}::${name}` : name;
};

const actionType = (namespace: string) => (namespace === '' ? 'Action' : `${namespace}::Action`);

/**
 * The action a `memberOf` entry names. Like Cedar: a qualified type is taken as written; `Action` (or no type)
 * means the declaring namespace's action if that namespace declares it, otherwise the global one.
 */
function resolveActionRef(
  schema: SchemaJson<string>,
  namespace: string,
  ref: { id: string; type?: string },
): EntityUid {
  if (ref.type?.includes('::')) return { type: ref.type, id: ref.id };
  if (namespace !== '' && schema[namespace]?.actions?.[ref.id]) return { type: actionType(namespace), id: ref.id };
  return { type: 'Action', id: ref.id };
}

/** Every action of the schema with its ancestry and `appliesTo`, keyed by uid key. */
function actionsOf(schema: SchemaJson<string>): Map<string, ActionInfo> {
  const direct = new Map<string, { info: ActionInfo; parents: string[] }>();
  for (const [namespace, def] of Object.entries(schema)) {
    for (const [id, action] of Object.entries(def.actions ?? {})) {
      const uid = { type: actionType(namespace), id };
      const parents = (action.memberOf ?? []).map((m) => uidKey(resolveActionRef(schema, namespace, m)));
      const applies = action.appliesTo;
      direct.set(uidKey(uid), {
        parents,
        info: {
          uid,
          ancestors: new Set(),
          principalTypes: new Set((applies?.principalTypes ?? []).map((t) => qualify(namespace, t, schema))),
          resourceTypes: new Set((applies?.resourceTypes ?? []).map((t) => qualify(namespace, t, schema))),
        },
      });
    }
  }
  for (const { info, parents } of direct.values()) {
    const stack = [...parents];
    while (stack.length > 0) {
      const key = stack.pop() as string;
      if (info.ancestors.has(key)) continue;
      info.ancestors.add(key);
      stack.push(...(direct.get(key)?.parents ?? []));
    }
  }
  return new Map([...direct].map(([k, v]) => [k, v.info]));
}

function typeScopeMayMatch(scope: Scope, type: string): boolean {
  if (scope.op === '==') return 'entity' in scope ? asUid(scope.entity)?.type === type : true;
  if (scope.op === 'is') return scope.entity_type === type;
  return true; // All, `in` (depends on the entity hierarchy)
}

function actionScopeMayMatch(scope: ActionScope, action: ActionInfo): boolean {
  const matches = (e: unknown) => {
    const uid = asUid(e);
    if (!uid) return true;
    const key = uidKey(uid);
    return key === uidKey(action.uid) || action.ancestors.has(key);
  };
  if (scope.op === 'All') return true;
  if (scope.op === '==') return 'entity' in scope ? matches(scope.entity) : true;
  if ('entities' in scope) return scope.entities.some(matches);
  return matches(scope.entity);
}

/** Only the requested action and its groups; every entity and common type. */
function schemaForAction(schema: SchemaJson<string>, action: ActionInfo, actions: Map<string, ActionInfo>) {
  const keep = new Set([uidKey(action.uid), ...action.ancestors]);
  const out: SchemaJson<string> = {};
  for (const [namespace, def] of Object.entries(schema)) {
    const kept = Object.entries(def.actions ?? {}).filter(([id]) =>
      keep.has(uidKey({ type: actionType(namespace), id })),
    );
    out[namespace] = { ...def, actions: Object.fromEntries(kept) };
  }
  // Guard the invariant the slicing relies on: every kept action's groups are kept too.
  for (const key of keep) if (!actions.has(key)) throw new Error(`schema slice is missing action ${key}`);
  return out;
}

let instances = 0;

export interface CompiledPolicySetInput {
  version: number;
  policies: string;
  schema: string;
}

export class CompiledPolicySet {
  readonly version: number;
  readonly policies: ParsedPolicy[];
  readonly schema: SchemaJson<string>;
  readonly warnings: SourceError[];
  /** Entity literals whose data some policy may read (see `dataLiterals`). */
  readonly literalEntities: EntityUid[];
  private readonly actions: Map<string, ActionInfo>;
  private readonly prefix: string;
  private readonly registered: { policySets: Set<string>; schemas: Set<string> } = {
    policySets: new Set(),
    schemas: new Set(),
  };
  private readonly slices = new Map<string, Slice>();
  private full: Slice | undefined;

  /** Parses, validates (strict) and registers the full set. Throws `PolicySourceError` with Cedar's messages. */
  constructor(input: CompiledPolicySetInput) {
    this.version = input.version;
    this.schema = parseSchema(input.schema);
    this.policies = parsePolicies(input.policies);
    this.warnings = validatePolicies(this.policies, this.schema);
    this.actions = actionsOf(this.schema);
    this.literalEntities = policyDataLiterals(this.policies);
    this.prefix = `v${input.version}.${++instances}`;
  }

  get policyIds(): string[] {
    return this.policies.map((p) => p.id);
  }

  /** The pre-parsed policy subset and schema to use for a request. Registered with Cedar on first use. */
  sliceFor(action: EntityUid, principalType: string, resourceType: string): Slice {
    const info = this.actions.get(uidKey(action));
    if (!info?.principalTypes.has(principalType) || !info.resourceTypes.has(resourceType)) {
      return this.fullSlice();
    }
    const key = `${uidKey(action)}|${principalType}|${resourceType}`;
    let slice = this.slices.get(key);
    if (!slice) {
      const schemaName = `${this.prefix}:schema:${uidKey(action)}`;
      if (!this.registered.schemas.has(schemaName)) {
        this.register('schema', schemaName, schemaForAction(this.schema, info, this.actions));
      }
      const subset = this.policies.filter(
        (p) =>
          actionScopeMayMatch(p.json.action, info) &&
          typeScopeMayMatch(p.json.principal, principalType) &&
          typeScopeMayMatch(p.json.resource, resourceType),
      );
      const policySetId = `${this.prefix}:policies:${key}`;
      this.register('policies', policySetId, Object.fromEntries(subset.map((p) => [p.id, p.text])));
      slice = { policySetId, schemaName, literals: policyDataLiterals(subset), size: subset.length };
      this.slices.set(key, slice);
    }
    return slice;
  }

  /** Number of policies a request with this action and these types is evaluated against. */
  sliceSize(action: EntityUid, principalType: string, resourceType: string): number {
    return this.sliceFor(action, principalType, resourceType).size;
  }

  literalEntitiesFor(action: EntityUid, principalType: string, resourceType: string): EntityUid[] {
    return this.sliceFor(action, principalType, resourceType).literals;
  }

  fullSlice(): Slice {
    if (!this.full) {
      const name = `${this.prefix}:full`;
      this.register('schema', name, this.schema);
      this.register('policies', name, Object.fromEntries(this.policies.map((p) => [p.id, p.text])));
      this.full = { policySetId: name, schemaName: name, literals: this.literalEntities, size: this.policies.length };
    }
    return this.full;
  }

  /** Forgets the slices so they are registered again (after Cedar reported a missing pre-parsed set). */
  resetSlices(): void {
    this.slices.clear();
    this.full = undefined;
    this.registered.policySets.clear();
    this.registered.schemas.clear();
  }

  /**
   * Replaces every registration with an empty one, releasing Cedar's memory for this version. A later use
   * (a request still holding a long-retired snapshot) simply registers again.
   */
  dispose(): void {
    const cedar = engine();
    for (const name of this.registered.policySets) cedar.preparsePolicySet(name, { staticPolicies: {} });
    for (const name of this.registered.schemas) cedar.preparseSchema(name, {});
    this.resetSlices();
  }

  private register(kind: 'schema', name: string, value: SchemaJson<string>): void;
  private register(kind: 'policies', name: string, value: Record<string, string>): void;
  private register(kind: 'schema' | 'policies', name: string, value: SchemaJson<string> | Record<string, string>) {
    const cedar = engine();
    const answer =
      kind === 'schema'
        ? cedar.preparseSchema(name, value as SchemaJson<string>)
        : cedar.preparsePolicySet(name, { staticPolicies: value as Record<string, string> });
    if (answer.type === 'failure') {
      // The same text parsed and validated in the constructor: a failure here is a bug, not bad input.
      throw new Error(`Cedar refused to pre-parse ${name}: ${answer.errors.map((e) => e.message).join('; ')}`);
    }
    (kind === 'schema' ? this.registered.schemas : this.registered.policySets).add(name);
  }
}
