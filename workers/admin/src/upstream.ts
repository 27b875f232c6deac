/**
 * Another Worker's API as the admin API calls it: over its service binding, with request-id propagation and a
 * deadline (shared/service-client.ts), carrying the operator's credential. Its answer is passed on as it is
 * (status, problem+json); no answer at all is a 503.
 */
import { dependencyUnavailable, type ErrorCode, ProblemError } from '../../../shared/errors.js';
import type { RequestIdentity } from '../../../shared/request-context.js';
import { callService, ServiceUnavailableError } from '../../../shared/service-client.js';

/** Response headers worth passing on (the rest are the upstream app's own, and ours are set by shared/app.ts). */
const PASSED_ON = ['content-type', 'location', 'retry-after', 'www-authenticate'];

export class Upstream {
  constructor(
    private readonly binding: Fetcher | undefined,
    readonly name: string,
    private readonly timeoutMs: number,
  ) {}

  async call(
    path: string,
    init: { method: string; authorization: string | undefined; body?: unknown; identity: RequestIdentity },
  ): Promise<Response> {
    const headers: Record<string, string> = {};
    if (init.authorization) headers.authorization = init.authorization;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await callService(this.binding, this.name, path, {
        method: init.method,
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        timeoutMs: this.timeoutMs,
        identity: init.identity,
      });
    } catch (err) {
      if (err instanceof ServiceUnavailableError) throw dependencyUnavailable(err.message);
      throw err;
    }
    const out = new Headers();
    for (const name of PASSED_ON) {
      const value = res.headers.get(name);
      if (value !== null) out.set(name, name === 'location' ? `/v1${value.replace(/^\/(admin|v1)/, '')}` : value);
    }
    const body = res.status === 204 ? null : await res.arrayBuffer();
    return new Response(body, { status: res.status, headers: out });
  }

  /** A JSON answer; the upstream's refusal is thrown as the same problem (status, code, detail). */
  async json<T>(path: string, init: Parameters<Upstream['call']>[1]): Promise<T> {
    const res = await this.call(path, init);
    const body = (await res.json().catch(() => null)) as Record<string, unknown> | null;
    if (res.ok && body) return body as T;
    if (res.ok) throw dependencyUnavailable(`${this.name} answered without JSON`);
    const {
      type: _type,
      title,
      status: _status,
      detail,
      code,
      instance: _instance,
      request_id: _id,
      ...extra
    } = body ?? {};
    throw new ProblemError(
      (typeof code === 'string' ? code : 'ERR_DEPENDENCY_UNAVAILABLE') as ErrorCode,
      res.status,
      typeof title === 'string' ? title : 'Upstream Error',
      typeof detail === 'string' ? detail : `${this.name} answered HTTP ${res.status}`,
      extra,
      Object.fromEntries(
        ['retry-after', 'www-authenticate'].flatMap((h) => {
          const v = res.headers.get(h);
          return v === null ? [] : [[h, v]];
        }),
      ),
    );
  }
}
