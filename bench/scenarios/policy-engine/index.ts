/**
 * In-isolate decision timing for `npm run bench` (bench/scenarios/policy.mjs). Uses the policy Worker's real
 * engine path (request parsing → entity merge/reachability → sliced pre-parsed Cedar call) on the shipped set
 * and on a generated 200-policy set, and splits the time:
 *
 * - `parse`: JSON.parse of the request body + request validation (what the handler does before deciding);
 * - `entities`: merging stored and supplied entities and selecting the reachable ones;
 * - `cedar`: the Cedar call (JSON marshalling across the wasm boundary + Cedar's own entity/request checks +
 *   evaluation of the sliced policies + the answer back);
 * - `cedar_empty`: the same call against an empty policy set, i.e. marshalling and checks without evaluation;
 * - `marshal_js`: JSON.stringify of the call object alone (the JS half of the marshalling);
 * - `unsliced`: the same decision against the whole pre-parsed set and whole schema (no slicing);
 * - `reparsed`: the stateless isAuthorized, parsing policies and schema on every call (for comparison).
 */
import { engine, type EntityJson } from '../../../workers/policy/src/domain/cedar.js';
import { decide } from '../../../workers/policy/src/domain/decide.js';
import { DEFAULT_POLICY_SOURCE } from '../../../workers/policy/src/domain/default-policy.js';
import { collectRefs, entitiesForRequest, indexEntities } from '../../../workers/policy/src/domain/entities.js';
import { CompiledPolicySet } from '../../../workers/policy/src/domain/policy-set.js';
import {
  type AuthorizationRequest,
  type EntityUid,
  parseAuthorizationRequest,
} from '../../../workers/policy/src/domain/request.js';
import {
  ACTIONS,
  DOCUMENTS,
  FOLDERS,
  GENERATED_SCHEMA,
  generateEntities,
  generatePolicies,
  USERS,
} from '../../../workers/policy/test/fixtures/generated-policies.js';
import { Prng } from '../../../workers/policy/test/fixtures/prng.js';

interface Workload {
  set: CompiledPolicySet;
  stored: ReturnType<typeof indexEntities>;
  bodies: string[];
  policyCount: number;
  storedCount: number;
}

let shipped: Workload | undefined;
let generated: Workload | undefined;

function shippedWorkload(): Workload {
  const set = new CompiledPolicySet({ version: 1, ...DEFAULT_POLICY_SOURCE });
  const stored: EntityJson[] = [
    { uid: { type: 'AdminEndpoint', id: 'keys' }, attrs: { sensitive: false }, parents: [] },
    {
      uid: { type: 'Resource', id: 'r1' },
      attrs: { owner: { __entity: { type: 'User', id: 'u1' } }, sensitive: false },
      parents: [],
    },
  ];
  const r = new Prng(1);
  const roles = ['superadmin', 'readonly', 'secops', 'billing', 'user-admin'];
  const adminActions = [
    'Admin::keys_rotate',
    'Admin::users_read',
    'Admin::users_delete_one',
    'Admin::billing_read',
    'Admin::policy_publish',
  ];
  const bodies: string[] = [];
  for (let i = 0; i < 64; i++) {
    const kind = i % 4;
    let body: unknown;
    if (kind <= 1) {
      // The typical caller: an admin credential's roles travel with the request (shared/policy-client.ts).
      body = {
        principal: { type: 'Admin', id: `a${i}` },
        action: r.pick(adminActions),
        resource: { type: 'AdminEndpoint', id: 'keys' },
        context: { method: 'POST', path: '/admin/keys/rotate' },
        entities: [{ uid: { type: 'Admin', id: `a${i}` }, attrs: { roles: r.subset(roles, 0.4) } }],
      };
    } else if (kind === 2) {
      body = {
        principal: { type: 'Client', id: `c${i}` },
        action: 'OAuth::token',
        resource: { type: 'OAuthClient', id: `c${i}` },
        context: { grant_type: r.pick(['client_credentials', 'authorization_code', 'refresh_token']) },
      };
    } else {
      body = {
        principal: { type: 'User', id: 'u1' },
        action: 'read',
        resource: { type: 'Resource', id: 'r1' },
        entities: [{ uid: { type: 'User', id: 'u1' }, attrs: { authenticated: r.chance(0.5) } }],
      };
    }
    bodies.push(JSON.stringify(body));
  }
  return { set, stored: indexEntities(stored), bodies, policyCount: set.policies.length, storedCount: stored.length };
}

function generatedWorkload(): Workload {
  const set = new CompiledPolicySet({ version: 1, policies: generatePolicies(200, 200), schema: GENERATED_SCHEMA });
  const entities = generateEntities(7) as unknown as EntityJson[];
  const r = new Prng(2);
  const bodies: string[] = [];
  for (let i = 0; i < 64; i++) {
    bodies.push(
      JSON.stringify({
        principal: { type: 'User', id: `u${r.int(USERS)}` },
        action: r.pick(ACTIONS.filter((a) => a !== 'audit')),
        resource: r.chance(0.8)
          ? { type: 'Document', id: `d${r.int(DOCUMENTS)}` }
          : { type: 'Folder', id: `f${r.int(FOLDERS)}` },
        context: { mfa: r.chance(0.5), ip_risk: r.int(100), hour: r.int(24) },
      }),
    );
  }
  return {
    set,
    stored: indexEntities(entities),
    bodies,
    policyCount: set.policies.length,
    storedCount: entities.length,
  };
}

/**
 * workerd's clock only advances in whole milliseconds (a Spectre mitigation), so single decisions cannot be
 * timed: each figure is the mean over a batch of iterations, and a run reports the median and best of its
 * batches.
 */
function timeBatches(batches: number, perBatch: number, fn: (i: number) => void) {
  const means: number[] = [];
  let i = 0;
  for (let b = 0; b < batches; b++) {
    const t0 = performance.now();
    for (let k = 0; k < perBatch; k++) fn(i++);
    means.push((performance.now() - t0) / perBatch);
  }
  means.sort((a, b) => a - b);
  const us = (ms: number) => +(ms * 1000).toFixed(1);
  return { median_us: us(means[Math.floor(means.length / 2)] ?? 0), best_us: us(means[0] ?? 0) };
}

function roots(set: CompiledPolicySet, req: AuthorizationRequest): EntityUid[] {
  const out: EntityUid[] = [
    req.principal,
    req.resource,
    ...set.literalEntitiesFor(req.action, req.principal.type, req.resource.type),
  ];
  for (const k in req.context) collectRefs(req.context[k], out);
  return out;
}

function measure(w: Workload, iterations: number, withComparisons: boolean) {
  const cedar = engine();
  const n = w.bodies.length;
  const requests = w.bodies.map((b) => parseAuthorizationRequest(JSON.parse(b)));
  const emptyId = 'bench-empty';
  cedar.preparsePolicySet(emptyId, { staticPolicies: {} });
  const full = w.set.fullSlice();
  const staticPolicies = Object.fromEntries(w.set.policies.map((p) => [p.id, p.text]));
  const calls = requests.map((req) => {
    const slice = w.set.sliceFor(req.action, req.principal.type, req.resource.type);
    const { entities } = entitiesForRequest(w.stored, req.entities, roots(w.set, req));
    return {
      slice,
      entities,
      call: {
        principal: req.principal,
        action: req.action,
        resource: req.resource,
        context: req.context,
        entities,
        validateRequest: true,
      },
    };
  });
  // Warm up until the wasm and JS are tiered up (dynamic tiering needs thousands of calls).
  for (let i = 0; i < 3000; i++) decide(w.set, w.stored, requests[i % n] as AuthorizationRequest);
  let allows = 0;
  for (const req of requests) if (decide(w.set, w.stored, req).decision === 'Allow') allows++;
  const batches = 10;
  const per = Math.max(1, Math.floor(iterations / batches));
  const out: Record<string, unknown> = {
    policies: w.policyCount,
    stored_entities: w.storedCount,
    iterations: batches * per,
    allow_ratio: +(allows / n).toFixed(2),
    entities_per_call: +(calls.reduce((s, c) => s + c.entities.length, 0) / n).toFixed(1),
    policies_per_call: +(
      requests.reduce((s, r) => s + w.set.sliceSize(r.action, r.principal.type, r.resource.type), 0) / n
    ).toFixed(1),
    // What POST /v1/authorize does per decision once the body is read: parse + validate + decide.
    total: timeBatches(batches, per, (i) =>
      decide(w.set, w.stored, parseAuthorizationRequest(JSON.parse(w.bodies[i % n] as string))),
    ),
    decide: timeBatches(batches, per, (i) => decide(w.set, w.stored, requests[i % n] as AuthorizationRequest)),
  };
  if (withComparisons) {
    /** Call `i`'s Cedar call on its slice's preparsed policies and schema (or the set `policySetId`). */
    const preparsedCall = (i: number, policySetId?: string) => {
      const c = calls[i % n] as (typeof calls)[number];
      return {
        ...c.call,
        preparsedPolicySetId: policySetId ?? c.slice.policySetId,
        preparsedSchemaName: c.slice.schemaName,
      };
    };
    Object.assign(out, {
      parse: timeBatches(batches, per, (i) => parseAuthorizationRequest(JSON.parse(w.bodies[i % n] as string))),
      entities: timeBatches(batches, per, (i) => {
        const req = requests[i % n] as AuthorizationRequest;
        entitiesForRequest(w.stored, req.entities, roots(w.set, req));
      }),
      cedar: timeBatches(batches, per, (i) => cedar.statefulIsAuthorized(preparsedCall(i))),
      cedar_empty_set: timeBatches(batches, per, (i) => cedar.statefulIsAuthorized(preparsedCall(i, emptyId))),
      cedar_no_schema: timeBatches(batches, per, (i) => {
        const c = calls[i % n] as (typeof calls)[number];
        cedar.statefulIsAuthorized({ ...c.call, validateRequest: false, preparsedPolicySetId: c.slice.policySetId });
      }),
      marshal_js: timeBatches(batches, per, (i) => JSON.stringify(preparsedCall(i))),
      unsliced: timeBatches(batches, per, (i) => {
        const c = calls[i % n] as (typeof calls)[number];
        const req = requests[i % n] as AuthorizationRequest;
        cedar.statefulIsAuthorized({
          ...c.call,
          entities: entitiesForRequest(w.stored, req.entities, [req.principal, req.resource, ...w.set.literalEntities])
            .entities,
          preparsedPolicySetId: full.policySetId,
          preparsedSchemaName: full.schemaName,
        });
      }),
      reparsed: timeBatches(5, 20, (i) => {
        const c = calls[i % n] as (typeof calls)[number];
        cedar.isAuthorized({ ...c.call, policies: { staticPolicies }, schema: w.set.schema });
      }),
    });
  }
  return out;
}

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (request.method === 'POST' && url.pathname === '/decide') {
      // The decision ceiling: the same engine path behind the thinnest possible HTTP handler (no framework,
      // no logging, no store freshness check), so the platform's HTTP overhead can be told apart from Cedar's.
      shipped ??= shippedWorkload();
      const w = shipped;
      const d = decide(w.set, w.stored, parseAuthorizationRequest(await request.json()));
      return Response.json({ decision: d.decision, policy_version: 1, reasons: d.reasons, errors: d.errors });
    }
    const which = url.searchParams.get('set') ?? 'shipped';
    const iterations = Math.min(200_000, Number(url.searchParams.get('n') ?? '5000'));
    const compare = url.searchParams.get('compare') !== '0';
    const t0 = performance.now();
    if (which === 'generated') generated ??= generatedWorkload();
    else shipped ??= shippedWorkload();
    const w = (which === 'generated' ? generated : shipped) as Workload;
    const compile_ms = +(performance.now() - t0).toFixed(1);
    return Response.json({ set: which, compile_ms, ...measure(w, iterations, compare) });
  },
};
