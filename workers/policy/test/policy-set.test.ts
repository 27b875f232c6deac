/** Compiling policy sets: ids, validation with Cedar's messages, slicing, and entity reachability. */
import { describe, expect, it } from 'vitest';
import { engine } from '../src/domain/cedar.js';
import { decide } from '../src/domain/decide.js';
import { entitiesForRequest, entityFor, indexEntities } from '../src/domain/entities.js';
import { CompiledPolicySet } from '../src/domain/policy-set.js';
import { PolicySourceError, parsePolicies } from '../src/domain/policy-source.js';
import { GENERATED_SCHEMA, generatePolicies } from './fixtures/generated-policies.js';

const SCHEMA = `
entity Group;
entity User in [Group] = { level: Long, boss?: User };
entity Doc = { owner: User };
action view, edit appliesTo { principal: [User], resource: [Doc] };
`;

function sourceError(fn: () => unknown): PolicySourceError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PolicySourceError) return err;
    throw err;
  }
  throw new Error('expected a PolicySourceError');
}

describe('policy ids', () => {
  it("uses @id, else Cedar's default id in text order (past policy9 too)", () => {
    const text = Array.from({ length: 12 }, (_, i) =>
      i === 5
        ? `@id("named") permit(principal, action, resource) when { ${i} == ${i} };`
        : `permit(principal, action, resource) when { ${i} == ${i} };`,
    ).join('\n');
    const parsed = parsePolicies(text);
    const byId = Object.fromEntries(parsed.map((p) => [p.id, p.text]));
    expect(Object.keys(byId).sort()).toEqual(
      [
        'policy0',
        'policy1',
        'policy2',
        'policy3',
        'policy4',
        'named',
        'policy6',
        'policy7',
        'policy8',
        'policy9',
        'policy10',
        'policy11',
      ].sort(),
    );
    expect(byId.policy10).toContain('10 == 10');
    expect(byId.policy2).toContain('2 == 2');
    expect(byId.named).toContain('5 == 5');
  });

  it('refuses duplicate ids and templates', () => {
    expect(
      sourceError(() =>
        parsePolicies('@id("a") permit(principal, action, resource);\n@id("a") forbid(principal, action, resource);'),
      ).errors[0],
    ).toMatchObject({ kind: 'duplicate_id', policy_id: 'a' });
    expect(
      sourceError(() => parsePolicies('permit(principal == ?principal, action, resource);')).errors[0],
    ).toMatchObject({ kind: 'template' });
  });
});

describe("validation reports Cedar's own messages", () => {
  it('syntax error', () => {
    const err = sourceError(
      () =>
        new CompiledPolicySet({
          version: 1,
          policies: 'permit(principal, action, resource) when { x };',
          schema: SCHEMA,
        }),
    );
    expect(err.errors[0]).toMatchObject({ kind: 'parse', message: expect.stringMatching(/invalid variable: x/) });
    expect(err.errors[0]?.source_locations?.[0]).toEqual({ start: 43, end: 44 });
  });

  it('type error against the schema, attributed to the policy', () => {
    const err = sourceError(
      () =>
        new CompiledPolicySet({
          version: 1,
          policies: '@id("p") permit(principal, action, resource) when { principal.height > 3 };',
          schema: SCHEMA,
        }),
    );
    expect(err.errors[0]).toMatchObject({
      kind: 'validation',
      policy_id: 'p',
      message: expect.stringMatching(/attribute `height` on entity type `User` not found/),
    });
  });

  it('unknown action and invalid schema', () => {
    expect(
      sourceError(
        () =>
          new CompiledPolicySet({
            version: 1,
            policies: 'permit(principal, action == Action::"fly", resource);',
            schema: SCHEMA,
          }),
      ).errors[0]?.message,
    ).toMatch(/fly/);
    expect(
      sourceError(() => new CompiledPolicySet({ version: 1, policies: '', schema: 'entity User = {' })).errors[0]?.kind,
    ).toBe('schema');
  });

  it('accepts a JSON schema as well as Cedar syntax', () => {
    const fromText = new CompiledPolicySet({
      version: 1,
      policies: 'permit(principal, action == Action::"view", resource);',
      schema: SCHEMA,
    });
    const json = new CompiledPolicySet({
      version: 2,
      policies: 'permit(principal, action == Action::"view", resource);',
      schema: JSON.stringify(fromText.schema),
    });
    expect(json.policyIds).toEqual(['policy0']);
  });
});

describe('slicing', () => {
  it('a request is evaluated only against the policies whose scope can match it', () => {
    const set = new CompiledPolicySet({ version: 1, policies: generatePolicies(200, 1), schema: GENERATED_SCHEMA });
    const all = set.fullSlice();
    const slice = set.sliceFor({ type: 'Action', id: 'audit' }, 'User', 'Folder');
    expect(slice.policySetId).not.toBe(all.policySetId);
    // Same key, same registration.
    expect(set.sliceFor({ type: 'Action', id: 'audit' }, 'User', 'Folder')).toBe(slice);
    // Outside the schema: the full set and schema, so the refusal is Cedar's own.
    expect(set.sliceFor({ type: 'Action', id: 'audit' }, 'User', 'Document')).toEqual(all);
    expect(set.sliceFor({ type: 'Action', id: 'fly' }, 'User', 'Folder')).toEqual(all);
  });

  it('keeps `in` scopes, drops other actions and other `is` types (decisions unchanged)', () => {
    const policies = [
      '@id("view-doc") permit(principal, action == Action::"view", resource is Doc);',
      '@id("edit-any") permit(principal, action == Action::"edit", resource);',
      '@id("group") permit(principal in Group::"g", action, resource);',
      '@id("boss") forbid(principal, action, resource) when { principal has boss && principal.boss.level > principal.level };',
    ].join('\n');
    const set = new CompiledPolicySet({ version: 1, policies, schema: SCHEMA });
    const stored = indexEntities([
      {
        uid: { type: 'User', id: 'u' },
        attrs: { level: 1, boss: { __entity: { type: 'User', id: 'b' } } },
        parents: [{ type: 'Group', id: 'g' }],
      },
      { uid: { type: 'User', id: 'b' }, attrs: { level: 5 }, parents: [] },
      { uid: { type: 'User', id: 'unrelated' }, attrs: { level: 0 }, parents: [] },
    ]);
    const req = (action: string, principal: string) => ({
      principal: { type: 'User', id: principal },
      action: { type: 'Action', id: action },
      resource: { type: 'Doc', id: 'd' },
      context: {},
      entities: [],
    });
    // u is in Group g (permit) but its boss outranks it (forbid, reachable only through the boss attribute).
    expect(decide(set, stored, req('edit', 'u'))).toEqual({
      decision: 'Deny',
      reasons: ['boss'],
      errors: [],
      ignored: [],
    });
    expect(decide(set, stored, req('view', 'b'))).toEqual({
      decision: 'Allow',
      reasons: ['view-doc'],
      errors: [],
      ignored: [],
    });
  });
});

describe('slicing with namespaces and action groups across namespaces', () => {
  // `type: "Action"` in a memberOf means the namespace's own action when it declares one, else the global one.
  const schema = JSON.stringify({
    NS: {
      entityTypes: { U: {}, V: {} },
      actions: {
        g: {},
        a: { memberOf: [{ id: 'g', type: 'Action' }], appliesTo: { principalTypes: ['U', 'V'], resourceTypes: ['U'] } },
        b: { memberOf: [{ id: 'G', type: 'Action' }], appliesTo: { principalTypes: ['U', 'V'], resourceTypes: ['U'] } },
        c: {
          memberOf: [{ id: 'g' }, { id: 'H', type: 'Other::Action' }],
          appliesTo: { principalTypes: ['U'], resourceTypes: ['U'] },
        },
      },
    },
    Other: { entityTypes: {}, actions: { H: {} } },
    '': { entityTypes: {}, actions: { G: {} } },
  });
  const policies = [
    '@id("in-g") permit(principal, action in NS::Action::"g", resource);',
    '@id("in-G") permit(principal is NS::V, action in Action::"G", resource);',
    '@id("in-H") forbid(principal, action in Other::Action::"H", resource) when { context has stop };',
    '@id("eq-b") forbid(principal is NS::U, action == NS::Action::"b", resource);',
  ].join('\n');

  it('decides exactly like Cedar for every action and principal type', () => {
    const set = new CompiledPolicySet({ version: 1, policies, schema });
    const staticPolicies = Object.fromEntries(set.policies.map((p) => [p.id, p.text]));
    for (const action of ['a', 'b', 'c', 'g']) {
      for (const ptype of ['NS::U', 'NS::V']) {
        for (const context of [{}, { stop: true }] as Record<string, boolean>[]) {
          const request = {
            principal: { type: ptype, id: 'p' },
            action: { type: 'NS::Action', id: action },
            resource: { type: 'NS::U', id: 'r' },
            context,
            entities: [],
          };
          const ours = decide(set, new Map(), request);
          const direct = engine().isAuthorized({
            ...request,
            policies: { staticPolicies },
            schema: JSON.parse(schema),
            validateRequest: true,
            entities: [],
          });
          const expected =
            direct.type === 'success'
              ? {
                  decision: direct.response.decision === 'allow' ? 'Allow' : 'Deny',
                  reasons: [...direct.response.diagnostics.reason].sort(),
                }
              : { decision: 'Deny', reasons: [] };
          expect(
            { decision: ours.decision, reasons: ours.reasons },
            `${action} ${ptype} ${JSON.stringify(context)}`,
          ).toEqual(expected);
        }
      }
    }
    // The slices really are smaller than the set.
    expect(set.sliceSize({ type: 'NS::Action', id: 'a' }, 'NS::U', 'NS::U')).toBe(1);
    expect(set.sliceSize({ type: 'NS::Action', id: 'c' }, 'NS::U', 'NS::U')).toBe(2);
  });
});

describe('entities for a request', () => {
  const stored = indexEntities([
    {
      uid: { type: 'User', id: 'a' },
      attrs: { level: 1, boss: { __entity: { type: 'User', id: 'b' } } },
      parents: [{ type: 'Group', id: 'g1' }],
    },
    { uid: { type: 'User', id: 'b' }, attrs: { level: 2 }, parents: [{ type: 'Group', id: 'g2' }] },
    { uid: { type: 'Group', id: 'g1' }, attrs: {}, parents: [] },
    { uid: { type: 'Group', id: 'g2' }, attrs: {}, parents: [] },
    { uid: { type: 'User', id: 'c' }, attrs: { level: 3 }, parents: [] },
    { uid: { type: 'Doc', id: 'd' }, attrs: { owner: { __entity: { type: 'User', id: 'c' } } }, parents: [] },
    { uid: { type: 'User', id: 'lonely' }, attrs: { level: 9 }, parents: [] },
  ]);
  const ids = (list: { uid: unknown }[]) => list.map((e) => JSON.stringify(e.uid)).sort();

  it('follows parents and entity-valued attributes, and nothing else', () => {
    const { entities: out } = entitiesForRequest(
      stored,
      [],
      [
        { type: 'User', id: 'a' },
        { type: 'Doc', id: 'd' },
      ],
    );
    expect(ids(out)).toEqual(
      ids([
        { uid: { type: 'User', id: 'a' } },
        { uid: { type: 'User', id: 'b' } },
        { uid: { type: 'Group', id: 'g1' } },
        { uid: { type: 'Group', id: 'g2' } },
        { uid: { type: 'Doc', id: 'd' } },
        { uid: { type: 'User', id: 'c' } },
      ]),
    );
  });

  it('stored entities are authoritative: a supplied one with a stored uid is ignored (and listed)', () => {
    const { entities: out, ignored } = entitiesForRequest(
      stored,
      [
        { uid: { type: 'User', id: 'a' }, attrs: { level: 7 }, parents: [] },
        { uid: { type: 'User', id: 'new' }, attrs: { level: 0 }, parents: [{ type: 'Group', id: 'g2' }] },
      ],
      [{ type: 'User', id: 'a' }],
    );
    const a = out.find((e) => (e.uid as { id: string }).id === 'a');
    expect(a).toEqual({
      uid: { type: 'User', id: 'a' },
      attrs: { level: 1, boss: { __entity: { type: 'User', id: 'b' } } },
      parents: [{ type: 'Group', id: 'g1' }],
    });
    expect(ignored).toEqual([{ type: 'User', id: 'a' }]);
    // Entities the store does not have are taken from the request, with their parents.
    expect(out.find((e) => (e.uid as { id: string }).id === 'new')?.parents).toEqual([{ type: 'Group', id: 'g2' }]);
    expect(out.some((e) => (e.uid as { id: string }).id === 'lonely')).toBe(false);
  });

  it('never merges per attribute: a request cannot add an attribute a stored entity lacks', () => {
    const s = { uid: { type: 'Resource', id: 'r' }, attrs: { classification: 'internal' }, parents: [] };
    const owner = { __entity: { type: 'User', id: 'mallory' } };
    expect(entityFor(s, { uid: s.uid, attrs: { owner } })).toEqual(s);
    expect(entityFor(s, { uid: s.uid, attrs: {}, parents: [{ type: 'Group', id: 'g' }] })).toEqual(s);
    expect(entityFor(undefined, { uid: s.uid, attrs: { owner } })).toEqual({
      uid: s.uid,
      attrs: { owner },
      parents: [],
    });
  });
});
