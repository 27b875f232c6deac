import { describe, expect, it } from 'vitest';
import { normalizeEmail } from '../../src/accounts/domain/email.js';

function key(input: string): string | undefined {
  const r = normalizeEmail(input);
  return r.ok ? r.email.key : undefined;
}

describe('email addresses', () => {
  it('makes case-insensitive keys and keeps what the user typed', () => {
    const r = normalizeEmail('  Jane.Doe+Work@Example.COM ');
    expect(r).toEqual({
      ok: true,
      email: {
        address: 'Jane.Doe+Work@Example.COM',
        mailbox: 'Jane.Doe+Work@example.com',
        key: 'jane.doe+work@example.com',
      },
    });
    expect(key('JANE.DOE+WORK@example.com')).toBe(key('jane.doe+work@EXAMPLE.com'));
  });

  it('does not pretend provider-specific aliases are the same mailbox', () => {
    expect(key('jane.doe@example.com')).not.toBe(key('janedoe@example.com'));
    expect(key('jane+a@example.com')).not.toBe(key('jane@example.com'));
  });

  it('compares internationalised domains in their ASCII form and NFC-normalises', () => {
    expect(key('user@bücher.example')).toBe('user@xn--bcher-kva.example');
    expect(key('user@BÜCHER.example')).toBe('user@xn--bcher-kva.example');
    expect(key('user@xn--bcher-kva.example')).toBe('user@xn--bcher-kva.example');
    // Composed and decomposed forms of the same local part are one account.
    expect(key('jos\u00e9@example.com')).toBe(key('jose\u0301@example.com'));
    expect(key('JOSÉ@example.com')).toBe('josé@example.com');
    // A Cyrillic "а" is a different domain, and stays visibly different in its key.
    expect(key('user@exаmple.com')).toMatch(/^user@xn--/);
    expect(key('user@exаmple.com')).not.toBe(key('user@example.com'));
  });

  it('rejects what is not a plain mailbox address', () => {
    for (const bad of [
      '',
      '   ',
      'plainaddress',
      '@example.com',
      'user@',
      'user@localhost',
      'user@example',
      'user@example.com.',
      'user@.example.com',
      'user@exa_mple.com',
      'user@-example.com',
      'user@127.0.0.1',
      'user@[127.0.0.1]',
      'user@exa%6dple.com',
      'user@example.com/path',
      'user@exa mple.com',
      '.user@example.com',
      'user.@example.com',
      'us..er@example.com',
      '"quoted"@example.com',
      'user name@example.com',
      'user@@example.com',
      'a@b@example.com',
      'user\u0000@example.com',
      'user\n@example.com',
      'user@example.com\r\nBcc: victim@example.com',
      '<script>@example.com',
      `${'a'.repeat(65)}@example.com`,
      `user@${'a'.repeat(250)}.com`,
      `${'é'.repeat(33)}@example.com`, // 66 octets in UTF-8
    ]) {
      expect(normalizeEmail(bad).ok, JSON.stringify(bad)).toBe(false);
    }
    expect(normalizeEmail(42).ok).toBe(false);
  });

  it('accepts the legal odd ones', () => {
    for (const ok of ["o'brien@example.ie", 'x@a.io', 'first_last-1@sub.domain.example.org', '用户@例子.广告']) {
      expect(normalizeEmail(ok).ok, ok).toBe(true);
    }
  });

  it('says what is wrong in words', () => {
    const r = normalizeEmail('nope');
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.problem).toEqual({ code: 'invalid', message: 'Enter an email address in the form name@example.com.' });
    const empty = normalizeEmail('');
    if (!empty.ok) expect(empty.problem.code).toBe('empty');
  });
});
