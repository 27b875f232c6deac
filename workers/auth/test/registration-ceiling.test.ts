import { describe, expect, it } from 'vitest';
import {
  approvalOf,
  describeWidening,
  isWidening,
  registrationTokenUsable,
  widenedBeyondApproval,
} from '../src/clients/domain/registration-ceiling.js';

const approved = approvalOf({
  scope: 'read write',
  allowed_resources: ['https://reports.example', 'https://api.example'],
  grant_types: ['client_credentials'],
});
const requested = (scope: string, allowed_resources: string[], grant_types = ['client_credentials']) => ({
  scope,
  allowed_resources,
  grant_types,
});

describe('the RFC 7592 ceiling: what was approved bounds what the client may set itself', () => {
  it('records exactly what was registered', () => {
    expect(approved).toEqual({
      scope: ['read', 'write'],
      resources: ['https://reports.example', 'https://api.example'],
      grantTypes: ['client_credentials'],
    });
  });

  it('lets the client narrow, and widen back up to the approval', () => {
    for (const r of [
      requested('read', ['https://reports.example']),
      requested('', []),
      requested('write read', ['https://api.example', 'https://reports.example']),
    ]) {
      expect(isWidening(widenedBeyondApproval(approved, r))).toBe(false);
    }
  });

  it('names every scope, resource and grant type beyond the approval', () => {
    const w = widenedBeyondApproval(
      approved,
      requested('read admin', ['https://billing.example', 'https://api.example'], ['client_credentials', 'password']),
    );
    expect(w).toEqual({ scopes: ['admin'], resources: ['https://billing.example'], grantTypes: ['password'] });
    expect(isWidening(w)).toBe(true);
  });

  it('compares resources as exact strings, as the token endpoint does', () => {
    for (const r of ['https://api.example/', 'HTTPS://api.example', 'https://api.example#x']) {
      expect(widenedBeyondApproval(approved, requested('read', [r])).resources).toEqual([r]);
    }
  });

  it('describes the refusal by field, never by value (values are the client’s)', () => {
    const text = describeWidening(widenedBeyondApproval(approved, requested('read admin', ['https://x.example'])));
    expect(text).toBe(
      'scope and allowed_resources exceed what was approved at registration; widening needs the initial access token',
    );
    expect(describeWidening({ scopes: ['x'], resources: [], grantTypes: [] })).toMatch(/^scope exceeds /);
  });

  it('a registration access token works until its expiry, not at it', () => {
    expect(registrationTokenUsable(1_000, 999)).toBe(true);
    expect(registrationTokenUsable(1_000, 1_000)).toBe(false);
  });
});
