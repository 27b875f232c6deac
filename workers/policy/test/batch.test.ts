/**
 * Batches: valid and invalid items mixed, answered in order by one policy version, each invalid item with
 * its own error in place. (The same over HTTP against the real store is in test/node/policy-api.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { ProblemError } from '../../../shared/errors.js';
import type { ActiveSnapshot } from '../src/domain/snapshot.js';
import { batchBody, decisionBody, parseBatch } from '../src/domain/authorize.js';
import { DEFAULT_POLICY_SOURCE } from '../src/domain/default-policy.js';
import { indexEntities } from '../src/domain/entities.js';
import { CompiledPolicySet } from '../src/domain/policy-set.js';
import { parseAuthorizationRequest } from '../src/domain/request.js';

const snapshot: ActiveSnapshot = {
  setId: 'default',
  version: 7,
  generation: 12,
  set: new CompiledPolicySet({ version: 7, ...DEFAULT_POLICY_SOURCE }),
  entities: indexEntities([{ uid: { type: 'Admin', id: 'stored-secops' }, attrs: { roles: ['secops'] }, parents: [] }]),
  source: DEFAULT_POLICY_SOURCE,
};

const adminReq = (id: string, roles: string[] | undefined, action: string, extra: Record<string, unknown> = {}) => ({
  request_id: id,
  principal: { type: 'Admin', id },
  action,
  resource: { type: 'AdminEndpoint', id: 'keys' },
  ...(roles ? { entities: [{ uid: { type: 'Admin', id }, attrs: { roles } }] } : {}),
  ...extra,
});

describe('batch', () => {
  it('answers mixed valid and invalid items in order, errors in place', () => {
    const items = parseBatch({
      requests: [
        adminReq('r0', ['secops'], 'Admin::keys_rotate'),
        adminReq('r1', undefined, 'Admin::keys_rotate', {
          context: Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}`, 1])),
        }),
        adminReq('r2', ['readonly'], 'Admin::keys_rotate'),
        {
          request_id: 'r3',
          principal: { type: 'Admin' },
          action: 'Admin::keys_read',
          resource: { type: 'AdminEndpoint', id: 'keys' },
        },
        adminReq('stored-secops', undefined, 'Admin::pq_keys_stats'),
        'not an object',
        adminReq('r6', ['superadmin'], 'Admin::no_such_action'),
      ],
    });
    const body = batchBody(snapshot, items);
    expect(body.policy_version).toBe(7);
    expect(body.decisions).toHaveLength(7);
    const [d0, d1, d2, d3, d4, d5, d6] = body.decisions as any[];
    expect(d0).toEqual({
      decision: 'Allow',
      request_id: 'r0',
      policy_version: 7,
      reasons: ['secops-keys-and-policy'],
      errors: [],
    });
    expect(d1).toMatchObject({
      request_id: 'r1',
      error: { status: 400, code: 'ERR_VALIDATION', limit: 'max_context_keys', max: 50 },
    });
    expect(d2).toMatchObject({ decision: 'Deny', request_id: 'r2', reasons: [] });
    expect(d3).toMatchObject({
      request_id: 'r3',
      error: { status: 400, detail: expect.stringMatching(/requests\[3\]\.principal\.id/) },
    });
    expect(d4).toMatchObject({ decision: 'Allow', request_id: 'stored-secops' });
    expect(d5).toMatchObject({
      request_id: null,
      error: { status: 400, detail: expect.stringMatching(/requests\[5\]: must be a JSON object/) },
    });
    expect(d6).toMatchObject({
      decision: 'Deny',
      request_id: 'r6',
      errors: [{ policy_id: null, message: expect.stringMatching(/Admin_no_such_action/) }],
    });
  });

  it('a batch item decides exactly like the same request sent alone', () => {
    const raw = adminReq('same', ['user-admin'], 'Admin::users_delete_one');
    const alone = decisionBody(snapshot, parseAuthorizationRequest(raw), null);
    const inBatch = batchBody(snapshot, parseBatch({ requests: [raw, raw] })).decisions;
    expect(inBatch).toEqual([alone, alone]);
    expect(alone.decision).toBe('Deny');
    expect(alone.reasons).toEqual(['forbid-user-delete-unless-superadmin']);
  });

  it.each([
    [{}, /requests: must be an array/],
    [{ requests: [] }, /must not be empty/],
    [{ requests: [{}], extra: 1 }, /extra: is not a field/],
    [[], /must be a JSON object/],
  ])('rejects the whole batch for %j', (body, message) => {
    let err: unknown;
    try {
      parseBatch(body);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProblemError);
    expect((err as ProblemError).status).toBe(400);
    expect((err as ProblemError).message).toMatch(message);
  });

  it('100 items are accepted, 101 are not', () => {
    const req = adminReq('x', ['secops'], 'Admin::keys_read');
    expect(parseBatch({ requests: Array.from({ length: 100 }, () => req) })).toHaveLength(100);
    expect(() => parseBatch({ requests: Array.from({ length: 101 }, () => req) })).toThrow(/max_batch_size/);
  });
});
