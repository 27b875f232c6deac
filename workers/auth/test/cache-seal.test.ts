import { describe, expect, it } from 'vitest';
import { ACCOUNT_CACHE_CONTEXT } from '../src/accounts/storage/account-cache.js';
import {
  createCacheSeal,
  createValueSeal,
  importCacheMacKey,
  MISSING_BODY,
  openCachedEntry,
  sealMissing,
  sealRecord,
} from '../src/clients/domain/cache-seal.js';
import type { ClientRecord } from '../src/clients/domain/client-store.js';

const NOW = 1_800_000_000;
const key = () => importCacheMacKey(crypto.getRandomValues(new Uint8Array(32)));
const record = (clientId = 'client-1', scope = 'read'): ClientRecord => ({
  clientId,
  secretHash: 'c2VjcmV0',
  status: 'active',
  version: 3,
  metadata: {
    redirect_uris: [],
    grant_types: ['client_credentials'],
    response_types: [],
    token_endpoint_auth_method: 'client_secret_basic',
    scope,
    allowed_resources: [],
  },
  rateLimit: null,
  clientIdIssuedAt: NOW,
  clientSecretExpiresAt: 0,
});

describe('sealed client cache entries', () => {
  it('round-trips a record and "missing" under the same key', async () => {
    const k = await key();
    const sealed = await sealRecord(k, record(), NOW + 60);
    expect(await openCachedEntry(k, 'client-1', sealed, NOW)).toEqual({ kind: 'record', record: record() });
    const missing = await sealMissing(k, 'nobody', NOW + 60);
    expect(missing.endsWith(`.${MISSING_BODY}`)).toBe(true);
    expect(await openCachedEntry(k, 'nobody', missing, NOW)).toEqual({ kind: 'missing' });
  });

  it('refuses what it did not seal: plain JSON, another key, a changed record, another client id', async () => {
    const k = await key();
    const sealed = await sealRecord(k, record(), NOW + 60);
    expect(await openCachedEntry(k, 'client-1', JSON.stringify(record()), NOW)).toEqual({
      kind: 'tampered',
      reason: 'format',
    });
    expect(await openCachedEntry(await key(), 'client-1', sealed, NOW)).toEqual({ kind: 'tampered', reason: 'mac' });
    const widened = sealed.replace('"scope":"read"', '"scope":"read admin"');
    expect(widened).not.toBe(sealed);
    expect(await openCachedEntry(k, 'client-1', widened, NOW)).toEqual({ kind: 'tampered', reason: 'mac' });
    // A record (or a "missing") moved to another id does not verify there.
    expect(await openCachedEntry(k, 'client-2', sealed, NOW)).toEqual({ kind: 'tampered', reason: 'mac' });
    const missing = await sealMissing(k, 'nobody', NOW + 60);
    expect(await openCachedEntry(k, 'client-1', missing, NOW)).toEqual({ kind: 'tampered', reason: 'mac' });
    // A later expiry is part of what is sealed: it cannot be extended either.
    const [v, exp, mac, ...body] = sealed.split('.');
    expect(await openCachedEntry(k, 'client-1', [v, String(Number(exp) + 3600), mac, ...body].join('.'), NOW)).toEqual({
      kind: 'tampered',
      reason: 'mac',
    });
  });

  it('ignores an expired entry (a replayed old copy) without calling it tampered', async () => {
    const k = await key();
    const sealed = await sealRecord(k, record(), NOW + 60);
    expect(await openCachedEntry(k, 'client-1', sealed, NOW + 60)).toEqual({ kind: 'expired' });
  });

  it('rejects malformed framing without throwing', async () => {
    const k = await key();
    for (const value of ['', 'v1', 'v1.1.2', 'v2.1.AAAA.{}', 'v1.x.AAAA.{}', 'v1.1.!!!.{}', 'v1.1.AAAA.{}']) {
      expect(await openCachedEntry(k, 'client-1', value, NOW)).toMatchObject({ kind: 'tampered' });
    }
  });
});

describe('sealed entries of another cache (the account cache)', () => {
  it('round-trips under its context, bound to the id, and never passes for a client entry or the reverse', async () => {
    const raw = crypto.getRandomValues(new Uint8Array(32));
    const accounts = createValueSeal(raw, ACCOUNT_CACHE_CONTEXT);
    const clients = createCacheSeal(raw);
    const body = JSON.stringify({ version: 'v1', user: null });
    const sealed = await accounts.seal('user-1', body, NOW + 60);
    expect(await accounts.open('user-1', sealed, NOW)).toEqual({ kind: 'body', body });
    expect(await accounts.open('user-2', sealed, NOW)).toEqual({ kind: 'tampered', reason: 'mac' });
    expect(await accounts.open('user-1', sealed, NOW + 60)).toEqual({ kind: 'expired' });
    // Same key, other context: an account entry is not a client entry, and a client entry is not an account entry.
    expect(await clients.open('user-1', sealed, NOW)).toEqual({ kind: 'tampered', reason: 'mac' });
    const client = await clients.seal(record('user-1'), NOW + 60);
    expect(await accounts.open('user-1', client, NOW)).toEqual({ kind: 'tampered', reason: 'mac' });
    expect(() => createValueSeal(raw, 'client-cache v1')).toThrow();
  });
});
