/**
 * The admin API's pure rules: what an operator API token may be (never wider than its creator), the policy diff,
 * an operator's client update (the approval moves with it; operator-only fields), and the dashboard's sign-in rules.
 */
import { describe, expect, it } from 'vitest';
import { ADMIN_API_ACTIONS } from '../../workers/admin/src/actions.js';
import {
  authenticationOf,
  checkCallback,
  csrfTokenFor,
  decodeTransaction,
  encodeTransaction,
  grantsAdmin,
  pkceChallenge,
  sameOriginPost,
} from '../../workers/admin/src/dashboard/domain/sign-in.js';
import { diffText } from '../../workers/admin/src/policies/domain/diff.js';
import { ApiTokenError, planApiToken } from '../../workers/admin/src/tokens/domain/api-token.js';
import {
  adminClientView,
  operatorRegistration,
  operatorUpdate,
} from '../../workers/auth/src/clients/domain/admin-client.js';
import { OperatorGrantError, planOperatorRoles } from '../../workers/admin/src/operators/domain/operator-grant.js';
import { ClientMetadataError } from '../../workers/auth/src/clients/domain/client-metadata.js';
import type { ClientRow } from '../../workers/auth/src/clients/domain/client-store.js';

const limits = { knownActions: ADMIN_API_ACTIONS, maxTtlSeconds: 3600, now: 1_000_000 };
const root = { roles: ['superadmin', 'secops'] };

describe('planApiToken', () => {
  it("acts with the creator's roles by default, sorted and deduplicated", () => {
    expect(
      planApiToken(root, { name: 't', scopes: ['Admin_keys_read', 'Admin_keys_read'], expires_in: 60 }, limits),
    ).toEqual({
      roles: ['secops', 'superadmin'],
      scopes: ['Admin_keys_read'],
      expiresAt: 1_060_000,
    });
  });

  it.each([
    [{ scopes: [] }, 'at least one'],
    [{ scopes: ['Admin_everything'] }, 'unknown admin actions'],
    [{ roles: ['readonly'] }, "creator's"],
    [{ roles: [] }, 'at least one role'],
    [{ expires_in: 59 }, 'expires_in'],
    [{ expires_in: 3601 }, 'expires_in'],
    [{ expires_in: 60.5 }, 'expires_in'],
  ])('refuses %j', (change, message) => {
    const request = { name: 't', scopes: ['Admin_keys_read'], expires_in: 60, ...change };
    expect(() => planApiToken(root, request, limits)).toThrow(ApiTokenError);
    expect(() => planApiToken(root, request, limits)).toThrow(message);
  });

  it('lets a token hand on only the scopes it holds, and not outlive itself', () => {
    const token = {
      roles: ['superadmin'],
      scopes: ['Admin_credentials_create', 'Admin_clients_read'],
      expiresAt: 1_120_000,
    };
    expect(() => planApiToken(token, { name: 't', scopes: ['Admin_keys_rotate'], expires_in: 60 }, limits)).toThrow(
      'does not hold',
    );
    expect(() => planApiToken(token, { name: 't', scopes: ['Admin_clients_read'], expires_in: 121 }, limits)).toThrow(
      'outlive',
    );
    expect(planApiToken(token, { name: 't', scopes: ['Admin_clients_read'], expires_in: 120 }, limits).scopes).toEqual([
      'Admin_clients_read',
    ]);
  });
});

describe('diffText', () => {
  it('is empty for equal texts', () => {
    expect(diffText('a\nb', 'a\nb')).toEqual({ added: 0, removed: 0, lines: [] });
  });

  it('shows changed lines with context and counts them', () => {
    const before = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'].join('\n');
    const after = ['1', '2', '3', '4', 'five', '6', '7', '8', '9', '10', '11'].join('\n');
    const d = diffText(before, after);
    expect(d.added).toBe(2);
    expect(d.removed).toBe(1);
    expect(d.lines).toEqual([
      { op: ' ', line: '...' },
      { op: ' ', line: '2' },
      { op: ' ', line: '3' },
      { op: ' ', line: '4' },
      { op: '-', line: '5' },
      { op: '+', line: 'five' },
      { op: ' ', line: '6' },
      { op: ' ', line: '7' },
      { op: ' ', line: '8' },
      { op: ' ', line: '9' },
      { op: ' ', line: '10' },
      { op: '+', line: '11' },
    ]);
  });

  it('counts exactly, also past the LCS budget (then: all removed, all added)', () => {
    const lines = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i)).join('\n');
    // 8 of the 50 lines change (i % 7 === 0) and 10 are appended, one of which (56) is also a "new" line.
    const small = diffText(
      lines(50, (i) => `line ${i}`),
      lines(60, (i) => (i % 7 === 0 ? `new ${i}` : `line ${i}`)),
    );
    expect([small.added, small.removed]).toEqual([18, 8]);
    const big = diffText(
      lines(3000, (i) => `a ${i}`),
      lines(3000, (i) => (i === 1500 ? 'changed' : `a ${i}`)),
    );
    // Common head and tail are trimmed first, so one changed line in 3000 stays a one-line diff.
    expect([big.added, big.removed]).toEqual([1, 1]);
    const huge = diffText(
      lines(3000, (i) => `a ${i % 2 ? i : -i}`),
      lines(3000, (i) => `a ${i % 3 ? i : -i}`),
    );
    expect(huge.added + huge.removed).toBeGreaterThan(0);
    expect(huge.lines.filter((l) => l.op === '-').length).toBe(huge.removed);
  });
});

const row: ClientRow = {
  clientId: 'c1',
  secretHash: 'hash',
  status: 'active',
  lifecycle: 'active',
  firstParty: false,
  version: 3,
  metadata: {
    redirect_uris: [],
    grant_types: ['client_credentials'],
    response_types: [],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: 'read',
    allowed_resources: [],
    client_name: 'batch',
  },
  rateLimit: { capacity: 10, refillPerSecond: 1 },
  clientIdIssuedAt: 1,
  clientSecretExpiresAt: 0,
  registrationTokenHash: 'rt',
  registrationTokenExpiresAt: 0,
  approval: { scope: ['read'], resources: [], grantTypes: ['client_credentials'] },
};
const policy = {
  maxTokenLifetime: 3600,
  scopesSupported: ['read', 'write'],
  resourcesSupported: [],
  privileged: false,
};

describe('planOperatorRoles', () => {
  it('a superadmin grants any well-formed role; others only roles they hold', () => {
    expect(planOperatorRoles(root, ['secops', 'readonly', 'secops'])).toEqual(['readonly', 'secops']);
    expect(planOperatorRoles({ roles: ['secops', 'readonly'] }, ['readonly'])).toEqual(['readonly']);
    expect(() => planOperatorRoles({ roles: ['secops'] }, ['superadmin'])).toThrow(/granter's: superadmin/);
    expect(() => planOperatorRoles(root, [])).toThrow(OperatorGrantError);
    expect(() => planOperatorRoles(root, ['Super Admin'])).toThrow(/malformed/);
  });
});

describe('operator client changes', () => {
  it('an update widens and moves the approval with it; null removes; unchanged fields stay', () => {
    const change = operatorUpdate(row, { scope: 'read write', client_name: null, first_party: true }, policy);
    expect(change.metadata?.scope).toBe('read write');
    expect(change.metadata?.client_name).toBeUndefined();
    expect(change.approval?.scope).toEqual(['read', 'write']);
    expect(change.firstParty).toBe(true);
    expect(change.rateLimit).toBeUndefined();
    expect(operatorUpdate(row, { rate_limit: null }, policy).rateLimit).toBeNull();
  });

  it('an update of operator fields only leaves metadata and approval alone (any grant type)', () => {
    const codeFlow = { ...row, metadata: { ...row.metadata, grant_types: ['authorization_code'] } } as ClientRow;
    expect(() => operatorUpdate(codeFlow, { scope: 'read' }, policy)).toThrow(ClientMetadataError);
    expect(operatorUpdate(codeFlow, { first_party: true }, policy)).toEqual({ firstParty: true });
  });

  it('refuses what the server does not support, and a non-boolean first_party', () => {
    expect(() => operatorUpdate(row, { scope: 'admin' }, policy)).toThrow(ClientMetadataError);
    expect(() => operatorUpdate(row, { first_party: 'yes' }, policy)).toThrow(ClientMetadataError);
    expect(() => operatorRegistration({ rate_limit: { capacity: 0, refill_per_second: 1 } }, policy)).toThrow(
      ClientMetadataError,
    );
  });

  it('the view carries no secret or token hash', () => {
    const text = JSON.stringify(adminClientView(row));
    expect(text).not.toContain('hash');
    expect(text).not.toContain('"rt"');
    expect(adminClientView(row)).toMatchObject({
      status: 'active',
      rate_limit: { capacity: 10, refill_per_second: 1 },
    });
  });
});

describe('the dashboard sign-in rules', () => {
  const now = 1_000_000;
  const tx = { state: 'st', nonce: 'no', verifier: 'v'.repeat(43), expiresAt: now + 600 };
  const issuer = 'https://auth.example.com';

  it('keeps the transaction in a cookie value it can read back, and refuses an expired or forged one', () => {
    const value = encodeTransaction(tx);
    expect(decodeTransaction(value, now)).toEqual(tx);
    expect(decodeTransaction(value, now + 600)).toBeNull();
    expect(decodeTransaction('not base64 !', now)).toBeNull();
    expect(decodeTransaction(encodeTransaction({ ...tx, state: 1 } as never), now)).toBeNull();
    expect(decodeTransaction(undefined, now)).toBeNull();
  });

  it('accepts a callback only with its state, from its issuer, with a code', () => {
    const q = (s: string) => new URLSearchParams(s);
    expect(checkCallback(q(`code=c&state=st&iss=${issuer}`), tx, issuer)).toEqual({ ok: true, code: 'c' });
    expect(checkCallback(q('code=c&state=st'), tx, issuer)).toEqual({ ok: true, code: 'c' });
    expect(checkCallback(q('code=c&state=other'), tx, issuer)).toMatchObject({ reason: 'state_mismatch' });
    expect(checkCallback(q('code=c&state=st&iss=https://evil.example'), tx, issuer)).toMatchObject({
      reason: 'issuer_mismatch',
    });
    expect(checkCallback(q('error=access_denied&state=st'), tx, issuer)).toMatchObject({ reason: 'denied' });
    expect(checkCallback(q('state=st'), tx, issuer)).toMatchObject({ reason: 'no_code' });
    expect(checkCallback(q('code=c&state=st'), null, issuer)).toMatchObject({ reason: 'no_transaction' });
  });

  it("tells the policy's missing-second-factor refusal from other refusals, for this browser's request only", () => {
    const missing = 'error=access_denied&error_description=a+second+factor+is+required+and+none+is+enrolled';
    expect(checkCallback(new URLSearchParams(`${missing}&state=st`), tx, issuer)).toMatchObject({
      reason: 'second_factor_missing',
    });
    expect(checkCallback(new URLSearchParams(`${missing}&state=other`), tx, issuer)).toMatchObject({
      reason: 'state_mismatch',
    });
    const other = 'error=access_denied&error_description=the+policy+does+not+allow+this+sign-in&state=st';
    expect(checkCallback(new URLSearchParams(other), tx, issuer)).toMatchObject({ reason: 'denied' });
  });

  it('starts a session only on a token response granting admin, and records how the operator authenticated', () => {
    expect(grantsAdmin('openid email admin')).toBe(true);
    expect(grantsAdmin('openid email')).toBe(false);
    expect(grantsAdmin('openid administrator')).toBe(false);
    expect(grantsAdmin(undefined)).toBe(false);
    expect(authenticationOf({ amr: ['pwd', 'otp', 'mfa'], acr: 'urn:edge-security:acr:mfa' })).toEqual({
      amr: ['pwd', 'otp', 'mfa'],
      acr: 'urn:edge-security:acr:mfa',
    });
    expect(authenticationOf({ amr: 'pwd', acr: 3 })).toEqual({ amr: [] });
  });

  it('derives PKCE S256 (RFC 7636 appendix B) and a CSRF token bound to the session', async () => {
    expect(await pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
    expect(await csrfTokenFor('a')).not.toBe(await csrfTokenFor('b'));
    expect(await csrfTokenFor('a')).toBe(await csrfTokenFor('a'));
  });

  it('takes a form post as its own only when the browser says so', () => {
    const own = 'https://admin.example.com';
    expect(sameOriginPost(own, 'same-origin', own)).toBe(true);
    expect(sameOriginPost('null', 'same-origin', own)).toBe(true);
    expect(sameOriginPost(undefined, undefined, own)).toBe(true);
    expect(sameOriginPost('null', undefined, own)).toBe(false);
    expect(sameOriginPost('https://evil.example', undefined, own)).toBe(false);
    expect(sameOriginPost(own, 'same-site', own)).toBe(false);
    expect(sameOriginPost(own, 'cross-site', own)).toBe(false);
  });
});
