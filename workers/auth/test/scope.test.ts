import { describe, expect, it } from 'vitest';
import {
  formatScope,
  grantScope,
  parseScope,
  ScopeNotAllowedError,
  ScopeSyntaxError,
  scopesOutside,
} from '../src/tokens/domain/scope.js';

describe('scope', () => {
  it('parses space-delimited tokens, dropping repeats', () => {
    expect(parseScope('read write read')).toEqual(['read', 'write']);
    expect(parseScope('')).toEqual([]);
    expect(parseScope('a:b/c!~')).toEqual(['a:b/c!~']);
    expect(formatScope(['read', 'write'])).toBe('read write');
  });

  it('rejects malformed scope strings', () => {
    for (const bad of [' read', 'read ', 'read  write', 'read\twrite', 'say"hi"', 'back\\slash', 'caf\u00e9']) {
      expect(() => parseScope(bad), bad).toThrow(ScopeSyntaxError);
    }
    expect(() => parseScope('x'.repeat(129))).toThrow(ScopeSyntaxError);
    expect(() => parseScope(Array.from({ length: 65 }, (_, i) => `s${i}`).join(' '))).toThrow(ScopeSyntaxError);
  });

  it('grants the requested subset, or everything registered when nothing is requested', () => {
    expect(grantScope('read', ['read', 'write'])).toEqual(['read']);
    expect(grantScope(undefined, ['read', 'write'])).toEqual(['read', 'write']);
    expect(grantScope('', ['read'])).toEqual([]);
    expect(scopesOutside(['read', 'admin'], ['read'])).toEqual(['admin']);
  });

  it('refuses escalation beyond the registered scope (case-sensitive)', () => {
    expect(() => grantScope('read admin', ['read', 'write'])).toThrow(ScopeNotAllowedError);
    expect(() => grantScope('READ', ['read'])).toThrow(ScopeNotAllowedError);
    expect(() => grantScope('anything', [])).toThrow(ScopeNotAllowedError);
  });
});
