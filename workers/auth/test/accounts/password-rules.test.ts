import { describe, expect, it } from 'vitest';
import {
  COMMON_PASSWORDS,
  COMMON_PASSWORDS_COUNT,
  COMMON_PASSWORDS_SOURCE,
} from '../../src/accounts/domain/common-passwords.data.js';
import { checkNewPassword, isCommonPassword } from '../../src/accounts/domain/password-rules.js';

const codes = (password: string, ctx = {}) => checkNewPassword(password, ctx).map((p) => p.code);

describe('new password rules', () => {
  it('bundles the common-password list it names', () => {
    expect(COMMON_PASSWORDS_SOURCE).toBe('@zxcvbn-ts/language-common@4.1.3');
    const lines = COMMON_PASSWORDS.split('\n');
    expect(lines).toHaveLength(COMMON_PASSWORDS_COUNT);
    expect(lines.length).toBeGreaterThan(15_000);
    expect(new Set(lines).size).toBe(lines.length);
    for (const line of lines) {
      expect([...line].length).toBeGreaterThanOrEqual(8);
      expect(line).toBe(line.normalize('NFKC').toLowerCase());
    }
  });

  it('accepts long passphrases and any characters, with no composition rules', () => {
    for (const ok of [
      'correct horse battery staple',
      'alllowercaseletters',
      'ünïcödé-pässwörd',
      '密码是一个很长的句子',
      '🔑🔑🔑🔑🔑🔑🔑🔑',
      '        spaces count too',
      'x'.repeat(256),
    ]) {
      expect(codes(ok), ok).toEqual([]);
    }
  });

  it('counts code points after NFKC, not UTF-16 units', () => {
    // Four astral characters are eight UTF-16 units but only four characters.
    expect(codes('🔑🔑🔑🔑')).toEqual(['too_short']);
    expect(codes('abcdefg')).toEqual(['too_short']);
    expect(codes('abcdefgh')).toEqual([]);
    // U+FB03 (ﬃ) is three letters under NFKC: 4 code points typed, 8 after normalisation.
    expect(codes('\ufb03\ufb03zz')).toEqual([]);
    expect(codes('\ufb03zz')).toEqual(['too_short']);
    expect(codes('x'.repeat(257))).toEqual(['too_long']);
    expect(codes('🔑'.repeat(257))).toEqual(['too_long']);
    expect(codes('x'.repeat(100_000))).toEqual(['too_long']);
  });

  it('refuses controls, lone surrogates and unassigned code points', () => {
    for (const bad of ['password\u0000xyz', 'tab\there!!', 'abc\ud800defgh', 'abcdefgh\udfff', 'abcdefgh\u{E0080}']) {
      expect(codes(bad), JSON.stringify(bad)).toEqual(['invalid_characters']);
    }
  });

  it('refuses common passwords, whatever the case, width or decoration', () => {
    for (const bad of [
      'password',
      'PASSWORD',
      'Password1',
      '12345678',
      'qwertyuiop',
      'iloveyou',
      '\uff50\uff41\uff53\uff53\uff57\uff4f\uff52\uff44', // fullwidth "password"
      'sunshine2024!',
      '!!baseball!!',
      '1qaz2wsx',
    ]) {
      expect(codes(bad), bad).toContain('common');
    }
    expect(isCommonPassword('trustno1')).toBe(true);
    expect(isCommonPassword('purple-monkey-dishwasher')).toBe(false);
    // Decoration in the middle changes the password: only the ends are stripped.
    expect(isCommonPassword('base-ball')).toBe(false);
  });

  it('refuses the email address, its local part and context words', () => {
    const ctx = { email: 'Jane.Doe@Example.com', words: ['Acme Cloud', 'acmecloud'] };
    expect(codes('jane.doe@example.com', ctx)).toEqual(['contains_context']);
    expect(codes('my jane.doe secret', ctx)).toEqual(['contains_context']);
    expect(codes('JANE-is-the-best', ctx)).toEqual(['contains_context']);
    expect(codes('acmecloud rocks!', ctx)).toEqual(['contains_context']);
    expect(codes('entirely unrelated phrase', ctx)).toEqual([]);
    // Very short parts of the address are not held against the user.
    expect(codes('a nice long phrase', { email: 'a@b.co' })).toEqual([]);
  });

  it('explains every refusal in a sentence a page can show', () => {
    const problems = checkNewPassword('password', { email: 'password@example.com' });
    expect(problems.map((p) => p.code)).toEqual(['common', 'contains_context']);
    for (const p of problems) expect(p.message).toMatch(/^[A-Z].*\.$/);
  });
});
