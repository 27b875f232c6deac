/**
 * Per-request identity: `x-request-id` (accepted when well-formed, generated otherwise) and W3C `traceparent`.
 * Both are forwarded on service-binding calls so one request can be followed across Workers.
 */

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

export function acceptRequestId(header: string | null | undefined): string {
  return header && REQUEST_ID.test(header) ? header : crypto.randomUUID();
}

export function acceptTraceparent(header: string | null | undefined): string | undefined {
  return header && TRACEPARENT.test(header) ? header : undefined;
}

export interface RequestIdentity {
  requestId: string;
  traceparent?: string;
}

/** Headers to put on an outgoing call so the callee logs the same request id and trace. */
export function propagationHeaders(identity: RequestIdentity): Record<string, string> {
  const headers: Record<string, string> = { 'x-request-id': identity.requestId };
  if (identity.traceparent) headers.traceparent = identity.traceparent;
  return headers;
}
