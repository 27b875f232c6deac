import { describe, expect, it } from 'vitest';
import { insufficientUserAuthentication } from '../bearer.js';

describe('insufficientUserAuthentication (RFC 9470 §3)', () => {
  it('names the error, the acr values (space-separated) and max_age', () => {
    expect(
      insufficientUserAuthentication(
        'api',
        { acrValues: ['urn:a', 'urn:b'], maxAge: 300 },
        'a second factor is required',
      ),
    ).toBe(
      'Bearer realm="api", error="insufficient_user_authentication", error_description="a second factor is required", acr_values="urn:a urn:b", max_age=300',
    );
  });

  it('leaves out what is not asked for', () => {
    expect(insufficientUserAuthentication('api', { maxAge: 0 }, 'sign in again')).toBe(
      'Bearer realm="api", error="insufficient_user_authentication", error_description="sign in again", max_age=0',
    );
    expect(insufficientUserAuthentication('api', { acrValues: [] }, 'x')).not.toContain('acr_values');
  });

  it('keeps every value one quoted-string: quotes and backslashes escaped, control characters dropped', () => {
    expect(insufficientUserAuthentication('a"b', {}, 'say "hi"\\\r\nnow')).toBe(
      'Bearer realm="a\\"b", error="insufficient_user_authentication", error_description="say \\"hi\\"\\\\now"',
    );
  });
});
