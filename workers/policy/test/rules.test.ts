/**
 * The shipped default policy set, rule by rule: each row is a request and the decision (and deciding policies)
 * the set must produce. Evaluated through the same modules the decision endpoint uses (request parsing,
 * entity merging, sliced pre-parsed evaluation).
 */
import { describe, expect, it } from 'vitest';
import { decide } from '../src/domain/decide.js';
import { DEFAULT_POLICY_SOURCE } from '../src/domain/default-policy.js';
import { indexEntities } from '../src/domain/entities.js';
import { CompiledPolicySet } from '../src/domain/policy-set.js';
import { parseAuthorizationRequest } from '../src/domain/request.js';

const set = new CompiledPolicySet({ version: 1, ...DEFAULT_POLICY_SOURCE });

type Attrs = Record<string, unknown>;
const admin = (id: string, roles: string[], attrs: Attrs = {}) => ({
  uid: { type: 'Admin', id },
  attrs: { roles, ...attrs },
});
const user = (id: string, attrs: Attrs = {}) => ({ uid: { type: 'User', id }, attrs });
const client = (id: string, attrs: Attrs = {}) => ({ uid: { type: 'Client', id }, attrs });
const ref = (type: string, id: string) => ({ __entity: { type, id } });

interface Row {
  name: string;
  body: Record<string, unknown>;
  stored?: { uid: { type: string; id: string }; attrs: Attrs; parents?: [] }[];
  expect: 'Allow' | 'Deny';
  reasons?: string[];
  /** The request is outside the schema: Deny with Cedar's message containing this. */
  cedarError?: RegExp;
}

const adminCall = (roles: string[], action: string, extra: Record<string, unknown> = {}, attrs: Attrs = {}) => ({
  principal: { type: 'Admin', id: 'alice' },
  action,
  resource: { type: 'AdminEndpoint', id: 'area' },
  entities: [admin('alice', roles, attrs)],
  ...extra,
});

const rows: Row[] = [
  // superadmin: every admin action, including user deletion and the original "Admin::access:<METHOD>" fallback
  {
    name: 'superadmin rotates keys',
    body: adminCall(['superadmin'], 'Admin::keys_rotate'),
    expect: 'Allow',
    reasons: ['superadmin-all-admin-actions'],
  },
  {
    name: 'superadmin deletes a user',
    body: adminCall(['superadmin'], 'Admin::users_delete_one'),
    expect: 'Allow',
    reasons: ['superadmin-all-admin-actions'],
  },
  { name: 'superadmin publishes policy', body: adminCall(['superadmin'], 'Admin::policy_publish'), expect: 'Allow' },
  { name: 'superadmin via access fallback', body: adminCall(['superadmin'], 'Admin::access:DELETE'), expect: 'Allow' },
  {
    name: 'superadmin with Cedar action reference',
    body: adminCall(['superadmin'], 'Action::"Admin_billing_delete"'),
    expect: 'Allow',
  },
  { name: 'no role: nothing', body: adminCall([], 'Admin::users_read'), expect: 'Deny', reasons: [] },
  { name: 'unknown role: nothing', body: adminCall(['admin'], 'Admin::keys_read'), expect: 'Deny', reasons: [] },
  // readonly
  {
    name: 'readonly reads users',
    body: adminCall(['readonly'], 'Admin::users_read'),
    expect: 'Allow',
    reasons: ['readonly-read'],
  },
  { name: 'readonly reads one user', body: adminCall(['readonly'], 'Admin::users_read_one'), expect: 'Allow' },
  { name: 'readonly reads metrics', body: adminCall(['readonly'], 'Admin::metrics_read'), expect: 'Allow' },
  {
    name: 'readonly reads pq timeline',
    body: adminCall(['readonly'], 'Admin::pq_migration_timeline'),
    expect: 'Allow',
  },
  { name: 'readonly reads policy', body: adminCall(['readonly'], 'Admin::policy_read'), expect: 'Allow' },
  { name: 'readonly cannot update users', body: adminCall(['readonly'], 'Admin::users_update_one'), expect: 'Deny' },
  { name: 'readonly lists signing keys', body: adminCall(['readonly'], 'Admin::keys_read'), expect: 'Allow' },
  { name: 'readonly cannot rotate keys', body: adminCall(['readonly'], 'Admin::keys_rotate'), expect: 'Deny' },
  // client-admin: every client action of the admin API, nothing else
  {
    name: 'client-admin rotates a client secret',
    body: adminCall(['client-admin'], 'Admin::clients_rotate_secret'),
    expect: 'Allow',
    reasons: ['client-admin-manage-clients'],
  },
  {
    name: 'client-admin disables a client',
    body: adminCall(['client-admin'], 'Admin::clients_disable'),
    expect: 'Allow',
  },
  { name: 'client-admin cannot rotate keys', body: adminCall(['client-admin'], 'Admin::keys_rotate'), expect: 'Deny' },
  {
    name: 'client-admin cannot mint API tokens',
    body: adminCall(['client-admin'], 'Admin::credentials_create'),
    expect: 'Deny',
  },
  // emergency rotation is superadmin's alone in the shipped set (secops rotates on schedule)
  {
    name: 'secops cannot rotate in an emergency',
    body: adminCall(['secops'], 'Admin::keys_emergency_rotate'),
    expect: 'Deny',
  },
  { name: 'readonly cannot rotate keys', body: adminCall(['readonly'], 'Admin::keys_rotate'), expect: 'Deny' },
  { name: 'readonly cannot publish policy', body: adminCall(['readonly'], 'Admin::policy_publish'), expect: 'Deny' },
  { name: 'readonly cannot access fallback', body: adminCall(['readonly'], 'Admin::access:GET'), expect: 'Deny' },
  // billing
  {
    name: 'billing updates billing',
    body: adminCall(['billing'], 'Admin::billing_update'),
    expect: 'Allow',
    reasons: ['billing-manage'],
  },
  { name: 'billing deletes billing', body: adminCall(['billing'], 'Admin::billing_delete'), expect: 'Allow' },
  { name: 'billing cannot read users', body: adminCall(['billing'], 'Admin::users_read'), expect: 'Deny' },
  // secops
  {
    name: 'secops rotates keys',
    body: adminCall(['secops'], 'Admin::keys_rotate'),
    expect: 'Allow',
    reasons: ['secops-keys-and-policy'],
  },
  { name: 'secops rotates pq keys', body: adminCall(['secops'], 'Admin::pq_keys_rotate'), expect: 'Allow' },
  { name: 'secops publishes policy', body: adminCall(['secops'], 'Admin::policy_publish'), expect: 'Allow' },
  // ---- separation of duties: publishing vs activating, key maintenance ----
  { name: 'secops cannot activate policy', body: adminCall(['secops'], 'Admin::policy_activate'), expect: 'Deny' },
  {
    name: 'policy-approver activates policy',
    body: adminCall(['policy-approver'], 'Admin::policy_activate'),
    expect: 'Allow',
    reasons: ['policy-approver-activate'],
  },
  { name: 'policy-approver reads policy', body: adminCall(['policy-approver'], 'Admin::policy_read'), expect: 'Allow' },
  {
    name: 'policy-approver cannot publish policy',
    body: adminCall(['policy-approver'], 'Admin::policy_publish'),
    expect: 'Deny',
  },
  {
    name: 'policy-approver cannot write entities',
    body: adminCall(['policy-approver'], 'Admin::entities_write'),
    expect: 'Deny',
  },
  {
    name: 'secops + policy-approver may publish and activate (two roles, as for two people)',
    body: adminCall(['secops', 'policy-approver'], 'Admin::policy_activate'),
    expect: 'Allow',
  },
  {
    name: 'key-maintenance maintains keys',
    body: adminCall(['key-maintenance'], 'Admin::keys_maintain'),
    expect: 'Allow',
    reasons: ['key-maintenance-maintain'],
  },
  {
    name: 'key-maintenance cannot rotate keys',
    body: adminCall(['key-maintenance'], 'Admin::keys_rotate'),
    expect: 'Deny',
    reasons: [],
  },
  {
    name: 'key-maintenance cannot read keys',
    body: adminCall(['key-maintenance'], 'Admin::keys_read'),
    expect: 'Deny',
  },
  { name: 'superadmin maintains keys', body: adminCall(['superadmin'], 'Admin::keys_maintain'), expect: 'Allow' },
  { name: 'secops maintains keys', body: adminCall(['secops'], 'Admin::keys_maintain'), expect: 'Allow' },
  // ---- end of separation of duties ----
  { name: 'secops writes entities', body: adminCall(['secops'], 'Admin::entities_write'), expect: 'Allow' },
  { name: 'secops revokes tokens', body: adminCall(['secops'], 'Admin::tokens_revoke'), expect: 'Allow' },
  { name: 'secops cannot read users', body: adminCall(['secops'], 'Admin::users_read'), expect: 'Deny' },
  { name: 'secops cannot create clients', body: adminCall(['secops'], 'Admin::clients_create'), expect: 'Deny' },
  {
    name: 'secops cannot manage credentials',
    body: adminCall(['secops'], 'Admin::credentials_manage'),
    expect: 'Deny',
  },
  // user-admin, and the forbid on user deletion
  {
    name: 'user-admin updates a user',
    body: adminCall(['user-admin'], 'Admin::users_update_one'),
    expect: 'Allow',
    reasons: ['user-admin-manage-users'],
  },
  { name: 'user-admin creates a user', body: adminCall(['user-admin'], 'Admin::users_create'), expect: 'Allow' },
  {
    name: 'user-admin cannot delete a user',
    body: adminCall(['user-admin'], 'Admin::users_delete_one'),
    expect: 'Deny',
    reasons: ['forbid-user-delete-unless-superadmin'],
  },
  {
    name: 'user-admin + superadmin deletes',
    body: adminCall(['user-admin', 'superadmin'], 'Admin::users_delete_one'),
    expect: 'Allow',
    reasons: ['superadmin-all-admin-actions', 'user-admin-manage-users'],
  },
  // post-quantum emergency rollback: mfa and POST required, for everyone
  {
    name: 'pq rollback without mfa',
    body: adminCall(['secops'], 'Admin::pq_emergency_rollback', { context: { method: 'POST' } }),
    expect: 'Deny',
    reasons: ['forbid-pq-rollback-without-mfa'],
  },
  {
    name: 'pq rollback with mfa, POST',
    body: adminCall(
      ['secops'],
      'Admin::pq_emergency_rollback',
      { context: { method: 'POST' } },
      { mfa_verified: true },
    ),
    expect: 'Allow',
    reasons: ['secops-keys-and-policy'],
  },
  {
    name: 'pq rollback with mfa, GET',
    body: adminCall(
      ['superadmin'],
      'Admin::pq_emergency_rollback',
      { context: { method: 'GET' } },
      { mfa_verified: true },
    ),
    expect: 'Deny',
  },
  {
    name: 'pq rollback with mfa, no method',
    body: adminCall(['superadmin'], 'Admin::pq_emergency_rollback', {}, { mfa_verified: true }),
    expect: 'Deny',
  },
  // sensitive admin areas (stored AdminEndpoint attributes) need high clearance, superadmins included
  {
    name: 'sensitive area, superadmin without clearance',
    body: { ...adminCall(['superadmin'], 'Admin::keys_rotate'), resource: { type: 'AdminEndpoint', id: 'keys' } },
    stored: [{ uid: { type: 'AdminEndpoint', id: 'keys' }, attrs: { sensitive: true } }],
    expect: 'Deny',
    reasons: ['forbid-sensitive-without-high-clearance'],
  },
  {
    name: 'sensitive area, secops with high clearance',
    body: {
      ...adminCall(['secops'], 'Admin::keys_rotate', {}, { clearance: 'high' }),
      resource: { type: 'AdminEndpoint', id: 'keys' },
    },
    stored: [{ uid: { type: 'AdminEndpoint', id: 'keys' }, attrs: { sensitive: true } }],
    expect: 'Allow',
  },
  {
    // Stored entities are authoritative: the stored Admin (roles included) wins over the request's.
    name: 'a stored Admin entity is used as stored, the request cannot change it',
    body: {
      ...adminCall(['secops'], 'Admin::keys_rotate', {}, { clearance: 'high' }),
      resource: { type: 'AdminEndpoint', id: 'keys' },
    },
    stored: [
      { uid: { type: 'AdminEndpoint', id: 'keys' }, attrs: { sensitive: true } },
      { uid: { type: 'Admin', id: 'alice' }, attrs: { roles: ['secops'], clearance: 'low' } },
    ],
    expect: 'Deny',
    reasons: ['forbid-sensitive-without-high-clearance'],
  },
  {
    name: 'stored roles apply when the request brings none',
    body: {
      principal: { type: 'Admin', id: 'carol' },
      action: 'Admin::billing_read',
      resource: { type: 'AdminEndpoint', id: 'billing' },
    },
    stored: [{ uid: { type: 'Admin', id: 'carol' }, attrs: { roles: ['billing'] } }],
    expect: 'Allow',
  },
  // End users signing in (the auth Worker's step-up question): the admin scope needs MFA
  ...[
    { scopes: ['openid', 'email'], mfa: false, expect: 'Allow' as const, reasons: ['user-sign-in'] },
    { scopes: ['openid', 'admin'], mfa: true, expect: 'Allow' as const, reasons: ['user-sign-in'] },
    { scopes: ['openid', 'admin'], mfa: false, expect: 'Deny' as const, reasons: ['forbid-admin-scope-without-mfa'] },
  ].map((c) => ({
    name: `user signs in with ${c.scopes.join(' ')}${c.mfa ? ' after MFA' : ' without MFA'}`,
    body: {
      principal: { type: 'User', id: 'u1' },
      action: 'Action::"User_sign_in"',
      resource: { type: 'OAuthClient', id: 'c1' },
      context: { scopes: c.scopes, mfa: c.mfa, amr: c.mfa ? ['pwd', 'otp', 'mfa'] : ['pwd'] },
    },
    expect: c.expect,
    reasons: c.reasons,
  })),
  // OAuth clients
  {
    name: 'client may authorize',
    body: {
      principal: { type: 'Client', id: 'c1' },
      action: 'OAuth::authorize',
      resource: { type: 'OAuthClient', id: 'c1' },
    },
    expect: 'Allow',
    reasons: ['oauth-client-authorize'],
  },
  ...['authorization_code', 'client_credentials'].map((grant) => ({
    name: `token with ${grant}`,
    body: {
      principal: { type: 'Client', id: 'c1' },
      action: 'OAuth::token',
      resource: { type: 'OAuthClient', id: 'c1' },
      context: { grant_type: grant },
    },
    expect: 'Allow' as const,
    reasons: ['oauth-client-token-grant-types'],
  })),
  ...['refresh_token', 'password', 'urn:ietf:params:oauth:grant-type:device_code'].map((grant) => ({
    name: `token with ${grant} refused`,
    body: {
      principal: { type: 'Client', id: 'c1' },
      action: 'OAuth::token',
      resource: { type: 'OAuthClient', id: 'c1' },
      context: { grant_type: grant },
    },
    expect: 'Deny' as const,
    reasons: [],
  })),
  {
    name: 'token without grant_type refused',
    body: {
      principal: { type: 'Client', id: 'c1' },
      action: 'OAuth::token',
      resource: { type: 'OAuthClient', id: 'c1' },
    },
    expect: 'Deny',
  },
  {
    name: 'disabled client refused',
    body: {
      principal: { type: 'Client', id: 'c1' },
      action: 'OAuth::token',
      resource: { type: 'OAuthClient', id: 'c1' },
      context: { grant_type: 'client_credentials' },
      entities: [client('c1', { status: 'disabled' })],
    },
    expect: 'Deny',
    reasons: ['forbid-inactive-client'],
  },
  {
    name: 'disabled registration refused',
    body: {
      principal: { type: 'Client', id: 'c1' },
      action: 'OAuth::authorize',
      resource: { type: 'OAuthClient', id: 'c1' },
    },
    stored: [{ uid: { type: 'OAuthClient', id: 'c1' }, attrs: { status: 'suspended' } }],
    expect: 'Deny',
    reasons: ['forbid-inactive-client'],
  },
  // own profile
  {
    name: 'user reads own profile',
    body: { principal: { type: 'User', id: 'u1' }, action: 'User::read_profile', resource: { type: 'User', id: 'u1' } },
    expect: 'Allow',
    reasons: ['user-read-own-profile'],
  },
  {
    name: "user cannot read another's profile",
    body: { principal: { type: 'User', id: 'u1' }, action: 'User::read_profile', resource: { type: 'User', id: 'u2' } },
    expect: 'Deny',
  },
  // reading data: authenticated principals, owners, and the sensitive forbid
  {
    name: 'authenticated user reads',
    body: {
      principal: { type: 'User', id: 'u1' },
      action: 'read',
      resource: { type: 'Resource', id: 'r1' },
      entities: [user('u1', { authenticated: true })],
    },
    expect: 'Allow',
    reasons: ['authenticated-read'],
  },
  {
    name: 'authenticated admin reads',
    body: {
      principal: { type: 'Admin', id: 'a1' },
      action: 'read',
      resource: { type: 'Resource', id: 'r1' },
      entities: [admin('a1', [], { authenticated: true })],
    },
    expect: 'Allow',
  },
  {
    name: 'anonymous user cannot read',
    body: { principal: { type: 'User', id: 'u1' }, action: 'read', resource: { type: 'Resource', id: 'r1' } },
    expect: 'Deny',
  },
  {
    name: 'owner reads without being authenticated',
    body: { principal: { type: 'User', id: 'u1' }, action: 'read', resource: { type: 'Resource', id: 'r1' } },
    stored: [{ uid: { type: 'Resource', id: 'r1' }, attrs: { owner: ref('User', 'u1') } }],
    expect: 'Allow',
    reasons: ['owner-read'],
  },
  {
    name: 'non-owner cannot read',
    body: { principal: { type: 'User', id: 'u2' }, action: 'read', resource: { type: 'Resource', id: 'r1' } },
    stored: [{ uid: { type: 'Resource', id: 'r1' }, attrs: { owner: ref('User', 'u1') } }],
    expect: 'Deny',
  },
  {
    name: 'owner without clearance cannot read a sensitive resource',
    body: { principal: { type: 'User', id: 'u1' }, action: 'read', resource: { type: 'Resource', id: 'r1' } },
    stored: [{ uid: { type: 'Resource', id: 'r1' }, attrs: { owner: ref('User', 'u1'), sensitive: true } }],
    expect: 'Deny',
    reasons: ['forbid-sensitive-without-high-clearance'],
  },
  {
    name: 'owner with medium clearance cannot read a sensitive resource',
    body: {
      principal: { type: 'User', id: 'u1' },
      action: 'read',
      resource: { type: 'Resource', id: 'r1' },
      entities: [user('u1', { clearance: 'medium' })],
    },
    stored: [{ uid: { type: 'Resource', id: 'r1' }, attrs: { owner: ref('User', 'u1'), sensitive: true } }],
    expect: 'Deny',
  },
  {
    name: 'high clearance reads a sensitive resource',
    body: {
      principal: { type: 'User', id: 'u2' },
      action: 'read',
      resource: { type: 'Resource', id: 'r1' },
      entities: [user('u2', { clearance: 'high', authenticated: true })],
    },
    stored: [{ uid: { type: 'Resource', id: 'r1' }, attrs: { owner: ref('User', 'u1'), sensitive: true } }],
    expect: 'Allow',
    reasons: ['authenticated-read'],
  },
  {
    name: 'a request cannot declare a stored sensitive resource non-sensitive',
    body: {
      principal: { type: 'User', id: 'u1' },
      action: 'read',
      resource: { type: 'Resource', id: 'r1' },
      entities: [{ uid: { type: 'Resource', id: 'r1' }, attrs: { sensitive: false } }],
    },
    stored: [{ uid: { type: 'Resource', id: 'r1' }, attrs: { owner: ref('User', 'u1'), sensitive: true } }],
    expect: 'Deny',
    reasons: ['forbid-sensitive-without-high-clearance'],
  },
  {
    name: 'a request cannot reactivate a stored suspended client',
    body: {
      principal: { type: 'Client', id: 'c9' },
      action: 'OAuth_token',
      resource: { type: 'OAuthClient', id: 'c9' },
      context: { grant_type: 'client_credentials' },
      entities: [client('c9', { status: 'active' })],
    },
    stored: [{ uid: { type: 'Client', id: 'c9' }, attrs: { status: 'suspended' } }],
    expect: 'Deny',
    reasons: ['forbid-inactive-client'],
  },
  // requests outside the schema: Deny with Cedar's own message, never an Allow
  {
    name: 'unknown action',
    body: adminCall(['superadmin'], 'Admin::launch_missiles'),
    expect: 'Deny',
    cedarError: /Admin_launch_missiles/,
  },
  {
    name: 'wrong principal type for the action',
    body: {
      principal: { type: 'User', id: 'u1' },
      action: 'Admin::keys_rotate',
      resource: { type: 'AdminEndpoint', id: 'keys' },
      entities: [user('u1', { roles: ['superadmin'] })],
    },
    expect: 'Deny',
    cedarError: /principal type `User` is not valid/,
  },
  {
    name: 'context of the wrong type',
    body: adminCall(['superadmin'], 'Admin::keys_rotate', { context: { method: 7 } }),
    expect: 'Deny',
    cedarError: /context/,
  },
  {
    name: 'attribute not in the schema',
    body: adminCall(['superadmin'], 'Admin::keys_rotate', {}, { shoe_size: 44 }),
    expect: 'Deny',
    cedarError: /shoe_size/,
  },
  {
    name: 'roles of the wrong type',
    body: adminCall(['superadmin'], 'Admin::keys_rotate', {}, { roles: 'superadmin' }),
    expect: 'Deny',
    cedarError: /roles/,
  },
];

const storedIndex = (row: Row) =>
  indexEntities((row.stored ?? []).map((e) => ({ ...e, parents: e.parents ?? [] })) as never);

describe('shipped policy set', () => {
  it('validates against its schema without warnings', () => {
    expect(set.warnings).toEqual([]);
    expect(set.policyIds.length).toBe(19);
  });

  it.each(rows)('$name → $expect', (row) => {
    const request = parseAuthorizationRequest(row.body);
    const d = decide(set, storedIndex(row), request);
    expect(d.decision).toBe(row.expect);
    if (row.reasons) expect(d.reasons).toEqual([...row.reasons].sort());
    if (row.cedarError) {
      expect(d.errors.length).toBeGreaterThan(0);
      expect(d.errors.map((e) => e.message).join('\n')).toMatch(row.cedarError);
      expect(d.errors.every((e) => e.policy_id === null)).toBe(true);
    } else {
      expect(d.errors).toEqual([]);
    }
  });

  it('covers every policy of the set with at least one Allow or Deny reason', () => {
    const seen = new Set<string>();
    for (const row of rows) {
      const d = decide(set, storedIndex(row), parseAuthorizationRequest(row.body));
      for (const r of d.reasons) seen.add(r);
    }
    expect([...seen].sort()).toEqual([...set.policyIds].sort());
  });
});
