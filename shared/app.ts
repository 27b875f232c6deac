/**
 * `createServiceApp` builds the Hono app every Worker starts from. It owns the cross-cutting behaviour so the
 * four services cannot drift apart:
 *
 * - the Worker's services (its composition root, `workers/<name>/src/services.ts`), built once per env object
 *   and handed to every handler as `c.var.services`;
 * - request id + traceparent, one JSON log line per request, Prometheus metrics (`GET /metrics`);
 * - security headers, deny-by-default CORS, `Cache-Control: no-store` unless a handler chose otherwise;
 * - the error model: RFC 6749 JSON on OAuth endpoints, RFC 9457 problem+json elsewhere, 404/405/413/400,
 *   and a 500 carrying an error id (logged, reported to Sentry) for anything unexpected;
 * - `GET /health` (no I/O) and `GET /ready` (the whole configuration, then Postgres and Redis with a deadline).
 */
import type { Context } from 'hono';
import { createFactory } from 'hono/factory';
import { HTTPException } from 'hono/http-exception';
import { routePath } from 'hono/route';
import { requireStaticBearer } from './bearer.js';
import { ConfigError } from './config.js';
import type { Dependencies } from './dependencies.js';
import type { CommonConfig } from './env.js';
import { bodyTooLarge, methodNotAllowed, notFound, OAuthError, PlatformError, ProblemError } from './errors.js';
import { type ReadinessPolicy, readinessHandler } from './health.js';
import { MetricsRegistry } from './metrics.js';
import { acceptRequestId, acceptTraceparent, type RequestIdentity } from './request-context.js';
import { oauthCodeForStatus, oauthErrorResponse, problemResponse, problemType } from './responses.js';
import { DEFAULT_CACHE_CONTROL, DEFAULT_CSP, isPreSecured, responseHeadersFor } from './security-headers.js';
import { reportException } from './sentry.js';

export type ServiceName = 'auth' | 'policy' | 'admin' | 'monitor';

/** What every Worker's services carry: the merged, validated configuration and the deployment's data stores. */
export interface BaseServices {
  readonly config: CommonConfig;
  readonly deps: Dependencies;
}

export type ServiceVariables<S> = {
  requestId: string;
  traceparent: string | undefined;
  /** The Worker's services (set before routing on every request whose configuration is valid). */
  services: S;
};

export type ServiceEnv<B extends object, S extends BaseServices = BaseServices> = {
  Bindings: B;
  Variables: ServiceVariables<S>;
};
export type ServiceContext<B extends object, S extends BaseServices = BaseServices> = Context<ServiceEnv<B, S>>;

export interface ServiceOptions<B extends object, S extends BaseServices> {
  service: ServiceName;
  version?: string;
  /** Exact paths whose errors are answered in RFC 6749 §5.2 format. */
  oauthPaths?: readonly string[];
  /**
   * The Worker's composition root: reads and validates its whole configuration from `env` and builds its services.
   * Called once per env object (the result is kept); throws ConfigError naming a bad variable, which /ready
   * reports as `failed: ["config"]`.
   */
  buildServices: (env: B) => S;
  /** Dependencies this Worker can serve without, at the moment of a readiness check (shared/health.ts). */
  readiness?: ReadinessPolicy<S>;
  /**
   * Routes (exact paths) whose body limit is not MAX_BODY_BYTES, with the limit's name for the 413. The
   * Content-Length precheck applies it here; the route's body reader must read with the same limit.
   */
  bodyLimits?: Readonly<Record<string, { bytes: number; name: string }>>;
}

export function identityOf<B extends object, S extends BaseServices>(c: ServiceContext<B, S>): RequestIdentity {
  return { requestId: c.get('requestId'), traceparent: c.get('traceparent') };
}

/** Route patterns of the app compiled to regexes, to tell a 405 (path exists, method does not) from a 404. */
function allowedMethods(app: { routes: { method: string; path: string }[] }, path: string): string[] {
  const methods = new Set<string>();
  for (const route of app.routes) {
    if (route.method === 'ALL' || route.path.endsWith('*')) continue;
    const pattern = route.path
      .split('/')
      .map((seg) => {
        if (seg.startsWith(':')) {
          const custom = /\{(.+)\}$/.exec(seg);
          return custom ? `(?:${custom[1]})` : '[^/]+';
        }
        return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('/');
    if (new RegExp(`^${pattern}/?$`).test(path)) methods.add(route.method);
  }
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods];
}

function log(entry: Record<string, unknown>): void {
  console.log(JSON.stringify(entry));
}

export function createServiceApp<B extends object, S extends BaseServices>(options: ServiceOptions<B, S>) {
  const { service, buildServices, bodyLimits } = options;
  const version = options.version ?? '0.1.0';
  const oauthPaths = new Set(options.oauthPaths ?? []);
  const metrics = new MetricsRegistry(service);
  type C = ServiceContext<B, S>;

  // The services of each env object. workerd hands every request of an isolate the same env, so this is built
  // once; tests that make an env per case get services per case. A failed build is not kept: the next request
  // tries again and reports the same ConfigError.
  const built = new WeakMap<object, S>();
  const servicesFor = (env: B): S => {
    let services = built.get(env);
    if (!services) {
      services = buildServices(env);
      built.set(env, services);
    }
    return services;
  };

  const errorResponse = (err: unknown, c: C): Response => {
    const requestId = c.get('requestId');
    const oauth = oauthPaths.has(c.req.path);
    if (err instanceof OAuthError) {
      return oauthErrorResponse(err.error, err.message, err.status, err.headers);
    }
    if (err instanceof HTTPException && !(err instanceof PlatformError)) {
      const status = err.status;
      const mapped = status === 413 ? bodyTooLarge(0) : new ProblemError('ERR_MALFORMED_BODY', status, 'Bad Request');
      err = new ProblemError(mapped.code, status, mapped.title, err.message || mapped.message);
    }
    if (err instanceof PlatformError) {
      if (oauth) return oauthErrorResponse(oauthCodeForStatus(err.status), err.message, err.status, err.headers);
      const problem = err instanceof ProblemError ? err : new ProblemError(err.code, err.status, err.message);
      return problemResponse(
        {
          type: problemType(problem.code),
          title: problem.title,
          status: problem.status,
          detail: problem.message,
          instance: c.req.path,
          code: problem.code,
          request_id: requestId,
          ...problem.extra,
        },
        problem.headers,
      );
    }
    // Anything else is a bug (or a broken configuration): answer with an id the operator can find in the logs and
    // in Sentry.
    const errorId = crypto.randomUUID();
    const error = err as Error;
    log({
      level: 'error',
      service,
      msg: 'unhandled exception',
      error_id: errorId,
      request_id: requestId,
      error: error?.name,
      message: error?.message,
      variable: err instanceof ConfigError ? err.variable : undefined,
      stack: error?.stack,
    });
    // A broken configuration is exactly when the report matters most, so fall back to the raw binding.
    let dsn = c.get('services')?.config.SENTRY_DSN;
    if (dsn === undefined) {
      const raw = (c.env as Record<string, unknown> | undefined)?.SENTRY_DSN;
      dsn = typeof raw === 'string' && raw !== '' ? raw : undefined;
    }
    let ctx: ExecutionContext | undefined;
    try {
      ctx = c.executionCtx;
    } catch {
      ctx = undefined;
    }
    reportException(dsn, err, ctx, c.req.raw, { service, request_id: requestId, error_id: errorId });
    if (err instanceof ConfigError) {
      // Not a bug but a deployment that cannot serve until it is configured: fail closed with 503 (/ready names
      // the variables; the message, which names them too, is in the log line above).
      if (oauth) return oauthErrorResponse('temporarily_unavailable', `misconfigured (error id ${errorId})`, 503);
      return problemResponse({
        type: problemType('ERR_MISCONFIGURED'),
        title: 'Service Unavailable',
        status: 503,
        detail: 'the service is misconfigured; its /ready names the variables',
        instance: c.req.path,
        code: 'ERR_MISCONFIGURED',
        request_id: requestId,
        error_id: errorId,
      });
    }
    if (oauth) return oauthErrorResponse('server_error', `internal error (error id ${errorId})`, 500);
    return problemResponse({
      type: problemType('ERR_INTERNAL'),
      title: 'Internal Server Error',
      status: 500,
      detail: 'an unexpected error occurred',
      instance: c.req.path,
      code: 'ERR_INTERNAL',
      request_id: requestId,
      error_id: errorId,
    });
  };

  /**
   * Checks made before routing: deny-by-default CORS (a preflight from an unlisted origin gets 403 and no CORS
   * headers) and an early 413 from Content-Length (body readers enforce the same limit while streaming).
   * Returns a response to send instead of routing, or the origin to echo on the way out.
   */
  const precheck = (c: C, config: CommonConfig): { early?: Response; allowOrigin?: string } => {
    const declared = c.req.header('content-length');
    if (declared !== undefined) {
      const own = bodyLimits?.[c.req.path];
      const limit = own?.bytes ?? config.MAX_BODY_BYTES;
      if (Number(declared) > limit) throw bodyTooLarge(limit, own?.name);
    }
    const origin = c.req.header('origin');
    if (!origin) return {};
    const allowed = config.CORS_ORIGINS.includes(origin);
    if (c.req.method === 'OPTIONS' && c.req.header('access-control-request-method')) {
      if (!allowed) throw new ProblemError('ERR_FORBIDDEN', 403, 'Forbidden', 'origin not allowed');
      return {
        early: c.body(null, 204, {
          'access-control-allow-origin': origin,
          'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE',
          'access-control-allow-headers': 'authorization, content-type, x-request-id',
          'access-control-max-age': '600',
          vary: 'Origin',
        }),
      };
    }
    return allowed ? { allowOrigin: origin } : {};
  };

  // One middleware for everything cross-cutting (each extra layer is another async hop on every request):
  // identity, the services, the prechecks, then on the way out headers, metrics and the log line.
  const factory = createFactory<ServiceEnv<B, S>>();
  const app = factory.createApp();
  app.use('*', async (c, next) => {
    const started = performance.now();
    const requestId = acceptRequestId(c.req.header('x-request-id'));
    c.set('requestId', requestId);
    c.set('traceparent', acceptTraceparent(c.req.header('traceparent')));
    let allowOrigin: string | undefined;
    let services: S | undefined;
    try {
      try {
        services = servicesFor(c.env);
        c.set('services', services);
      } catch (err) {
        // Liveness and readiness answer without services: /ready names the bad variable itself.
        if (c.req.path !== '/health' && c.req.path !== '/ready') throw err;
      }
      const checked = services ? precheck(c, services.config) : {};
      allowOrigin = checked.allowOrigin;
      if (checked.early) c.res = checked.early;
      else await next();
    } catch (err) {
      c.res = errorResponse(err, c);
    }
    const res = c.res;
    // Every Headers call crosses into the runtime, so set unconditionally and ask only about the two headers a
    // handler may have chosen: this is on every request's path. A `secureJson` response has them all already, and
    // self-hosted the socket adds the fixed ones itself (shared/security-headers.ts).
    const headers = res.headers;
    headers.set('x-request-id', requestId);
    if (!isPreSecured(res)) {
      for (const [k, v] of responseHeadersFor(c.env).fixed) headers.set(k, v);
      if (!headers.has('content-security-policy')) headers.set('content-security-policy', DEFAULT_CSP);
      if (!headers.has('cache-control')) headers.set('cache-control', DEFAULT_CACHE_CONTROL);
    }
    if (allowOrigin) {
      headers.set('access-control-allow-origin', allowOrigin);
      headers.append('vary', 'Origin');
    }
    const matched = routePath(c, -1);
    const route = matched === '*' || matched === '/*' ? 'unmatched' : matched;
    const seconds = (performance.now() - started) / 1000;
    metrics.recordRequest(c.req.method, route, res.status, seconds);
    // Without services (a configuration error) logging goes on: the error itself was logged above.
    if (services?.config.LOG_REQUESTS ?? true) {
      log({
        level: res.status >= 500 ? 'error' : 'info',
        service,
        msg: 'request',
        method: c.req.method,
        route,
        status: res.status,
        duration_ms: Math.round(seconds * 100_000) / 100,
        request_id: requestId,
        traceparent: c.get('traceparent'),
      });
    }
  });

  app.get('/health', (c) => c.json({ status: 'ok', service, version }));
  // Building the services reads and validates the whole configuration, so /ready reports any bad variable.
  app.get('/ready', (c) =>
    readinessHandler(c, () => servicesFor(c.env), { service, metrics, policy: options.readiness }),
  );
  app.get('/metrics', (c) => {
    const token = c.get('services').config.METRICS_TOKEN;
    requireStaticBearer(c.req.header('authorization'), token, 'metrics', 'metrics require a bearer token');
    return c.text(metrics.render(), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
  });

  app.notFound((c) => {
    const allow = allowedMethods(app, c.req.path);
    if (allow.length > 0) return errorResponse(methodNotAllowed(allow), c);
    return errorResponse(notFound(`no route for ${c.req.method} ${c.req.path}`), c);
  });
  app.onError((err, c) => errorResponse(err, c));

  return { app, metrics, factory, servicesFor };
}
