import { describe, expect, it } from 'vitest';
import { DuplicateParameterError, parseForm, readBodyText } from '../body.js';
import { PlatformError } from '../errors.js';

describe('parseForm', () => {
  it('decodes application/x-www-form-urlencoded', () => {
    const form = parseForm('grant_type=client_credentials&scope=a+b&x=%C3%A9');
    expect(form.get('scope')).toEqual(['a b']);
    expect(form.get('x')).toEqual(['é']);
  });

  it('rejects a repeated parameter unless it is repeatable', () => {
    expect(() => parseForm('scope=a&scope=b')).toThrowError(DuplicateParameterError);
    expect(parseForm('resource=a&resource=b', new Set(['resource'])).get('resource')).toEqual(['a', 'b']);
  });
});

describe('readBodyText', () => {
  it('rejects a declared length over the limit before reading', async () => {
    const req = new Request('https://x/', { method: 'POST', body: 'abc', headers: { 'content-length': '5000' } });
    await expect(readBodyText(req, 10)).rejects.toMatchObject({ status: 413 });
  });

  it('rejects invalid UTF-8 with 400', async () => {
    const req = new Request('https://x/', { method: 'POST', body: new Uint8Array([0xff, 0xfe, 0x41]) });
    const err = await readBodyText(req, 100).catch((e) => e);
    expect(err).toBeInstanceOf(PlatformError);
    expect((err as PlatformError).status).toBe(400);
  });
});
