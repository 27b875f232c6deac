/**
 * HTTP plumbing for the REST bridge: bounded body reading, JSON replies, bearer-token check.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export type BodyResult = { kind: 'ok'; body: Buffer } | { kind: 'too-large' } | { kind: 'aborted' };

/**
 * Reads the request body, keeping at most `limit` bytes in memory.
 *
 * An oversized body is not cut off at once: the rest is read and discarded so the client sees a
 * clean 413 instead of a connection reset in the middle of its upload (fetch reports the reset,
 * not the status). Discarding stops at `discardLimit`; past that the socket is destroyed.
 */
export function readBody(req: IncomingMessage, limit: number, discardLimit: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > discardLimit) {
      req.resume();
      return resolve({ kind: 'too-large' });
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number.isFinite(declared) && declared > limit;
    let settled = false;
    const settle = (result: BodyResult) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
      }
      if (tooLarge) {
        if (size > discardLimit) {
          settle({ kind: 'too-large' });
          req.destroy();
        }
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => settle(tooLarge ? { kind: 'too-large' } : { kind: 'ok', body: Buffer.concat(chunks, size) }));
    req.on('error', () => settle({ kind: 'aborted' }));
    req.on('close', () => settle({ kind: 'aborted' }));
  });
}

/** Writes a JSON reply unless the client is already gone. `json` is pre-serialised text. */
export function sendJson(
  res: ServerResponse,
  status: number,
  json: string,
  extraHeaders: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(json)),
    ...extraHeaders,
  });
  res.end(json);
}

/**
 * Compares the bearer token in constant time. Both sides are hashed first so the comparison
 * also takes the same time whatever the length of the presented token.
 */
export function makeBearerCheck(token: string): (header: string | undefined) => boolean {
  const expected = createHash('sha256').update(token, 'utf8').digest();
  return (header) => {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
    const presented = createHash('sha256')
      .update(match?.[1] ?? '', 'utf8')
      .digest();
    // Always run the comparison, even when the header is missing, to keep timing uniform.
    return timingSafeEqual(presented, expected) && match !== null;
  };
}
