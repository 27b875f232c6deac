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

  /** A body with a declared length (read in one call), or streamed without one (read chunk by chunk). */
  const bodyOf = (bytes: Uint8Array, streamed: boolean) =>
    new Request('https://x/', {
      method: 'POST',
      body: streamed
        ? new ReadableStream({
            start(controller) {
              controller.enqueue(bytes);
              controller.close();
            },
          })
        : bytes,
      headers: streamed ? {} : { 'content-length': String(bytes.byteLength) },
    });
  const utf8 = (text: string) => new TextEncoder().encode(text);

  for (const streamed of [false, true]) {
    const how = streamed ? 'streamed' : 'with a declared length';
    it(`${how}: refuses every invalid sequence and a raw U+FFFD alike, accepts it escaped`, async () => {
      // Invalid sequences of every kind the decoder replaces: a lone continuation byte, a truncated 4-byte sequence
      // (one U+FFFD for three bytes, so the length does not change), an encoded surrogate, an overlong form.
      for (const bad of [[0x80], [0xf0, 0x9f, 0x98], [0xed, 0xa0, 0x80], [0xc0, 0xaf]]) {
        const bytes = new Uint8Array([...utf8('{"a":"'), ...bad, ...utf8('"}')]);
        const err = await readBodyText(bodyOf(bytes, streamed), 100).catch((e) => e);
        expect(err, `bytes ${bad}`).toMatchObject({ status: 400, code: 'ERR_MALFORMED_BODY' });
      }
      const raw = await readBodyText(bodyOf(utf8('{"a":"\uFFFD"}'), streamed), 100).catch((e) => e);
      expect(raw).toMatchObject({ status: 400, code: 'ERR_MALFORMED_BODY' });
      expect(await readBodyText(bodyOf(utf8('{"a":"\\ufffd","b":"é😀"}'), streamed), 100)).toBe(
        '{"a":"\\ufffd","b":"é😀"}',
      );
      expect(await readBodyText(bodyOf(utf8('x=%EF%BF%BD'), streamed), 100)).toBe('x=%EF%BF%BD');
    });
  }
});

describe('readBodyText on a broken stream', () => {
  /** A body whose stream fails after some bytes, as the runtime's does on a truncated or badly chunked upload. */
  function failingRequest(headers: Record<string, string> = {}): Request {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('grant_type=client'));
        controller.error(new Error('Network connection lost.'));
      },
    });
    return new Request('https://x/', { method: 'POST', body, headers });
  }

  it('answers 400 (never a bare error) when the body breaks off', async () => {
    const err = await readBodyText(failingRequest(), 1000).catch((e) => e);
    expect(err).toBeInstanceOf(PlatformError);
    expect(err).toMatchObject({ status: 400, code: 'ERR_MALFORMED_BODY' });
  });

  it('answers 400 when a declared length never arrives', async () => {
    const err = await readBodyText(failingRequest({ 'content-length': '64' }), 1000).catch((e) => e);
    expect(err).toBeInstanceOf(PlatformError);
    expect(err).toMatchObject({ status: 400, code: 'ERR_MALFORMED_BODY' });
  });

  it('still answers 413 when the limit is crossed before the stream fails', async () => {
    let pulls = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        // An error clears what is queued, so the bytes come in one pull and the failure in the next.
        if (pulls++ === 0) controller.enqueue(new Uint8Array(200));
        else controller.error(new Error('late failure'));
      },
    });
    const req = new Request('https://x/', { method: 'POST', body });
    await expect(readBodyText(req, 100)).rejects.toMatchObject({ status: 413 });
  });
});
