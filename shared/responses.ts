/** Serialisers for the two error wire formats. Kept apart from the error classes so handlers can build either. */
import type { OAuthErrorCode } from './errors.js';
import { toErrorDescription } from './oauth-error-text.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  code?: string;
  request_id?: string;
  error_id?: string;
  [extension: string]: unknown;
}

/** RFC 9457 problem+json. `type` is a URN naming the stable error code, since we publish no problem pages. */
export function problemResponse(problem: Problem, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(problem), {
    status: problem.status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, 'cache-control': 'no-store', ...headers },
  });
}

export function problemType(code: string): string {
  return `urn:edge-security:error:${code.replace(/^ERR_/, '').toLowerCase().replaceAll('_', '-')}`;
}

/**
 * RFC 6749 §5.2 error response. Always no-store: OAuth responses may carry or concern credentials. This is the one
 * place that serialises RFC 6749 errors, so every description (a handler's, one mapped from a PlatformError, the
 * 500's) goes through `toErrorDescription`: within %x20-21 / %x23-5B / %x5D-7E whatever client input it mentions.
 */
export function oauthErrorResponse(
  error: OAuthErrorCode,
  description: string | undefined,
  status: number,
  headers: Record<string, string> = {},
): Response {
  const body: Record<string, string> = { error };
  if (description) body.error_description = toErrorDescription(description);
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      pragma: 'no-cache',
      ...headers,
    },
  });
}

/** Maps a generic HTTP status onto the closest RFC 6749 error code, for failures raised outside OAuth handlers. */
export function oauthCodeForStatus(status: number): OAuthErrorCode {
  if (status === 401) return 'invalid_client';
  if (status === 403) return 'access_denied';
  if (status === 429 || status === 503) return 'temporarily_unavailable';
  if (status >= 500) return 'server_error';
  return 'invalid_request';
}
