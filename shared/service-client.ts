/**
 * Calls another Worker through its service binding with request-id propagation and a hard timeout.
 * A timeout or a network failure raises `ServiceUnavailableError`, which callers must treat as "deny".
 */
import { propagationHeaders, type RequestIdentity } from './request-context.js';

export class ServiceUnavailableError extends Error {
  readonly code = 'ERR_SERVICE_UNAVAILABLE';
  constructor(
    readonly service: string,
    reason: string,
  ) {
    super(`${service} unavailable: ${reason}`);
    this.name = 'ServiceUnavailableError';
  }
}

export async function callService(
  binding: Fetcher | undefined,
  service: string,
  path: string,
  init: RequestInit & { timeoutMs: number; identity: RequestIdentity },
): Promise<Response> {
  if (!binding) throw new ServiceUnavailableError(service, 'no service binding configured');
  const { timeoutMs, identity, ...rest } = init;
  const headers = new Headers(rest.headers);
  for (const [k, v] of Object.entries(propagationHeaders(identity))) headers.set(k, v);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    // The host is ignored by service bindings; it only makes the URL absolute.
    return await binding.fetch(`https://${service}.internal${path}`, { ...rest, headers, signal: controller.signal });
  } catch (err) {
    const reason = controller.signal.aborted ? `no answer within ${timeoutMs} ms` : (err as Error).message;
    throw new ServiceUnavailableError(service, reason);
  } finally {
    clearTimeout(timer);
  }
}
