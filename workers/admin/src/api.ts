/**
 * The admin API's frame: an OpenAPI app (`@hono/zod-openapi`) whose route schemas are both the request validation
 * and the `/openapi.json` document, mounted on the Worker's service app (shared/app.ts keeps the error model).
 *
 * - `adminRoute(action, config)`: every route names its Cedar action; the guard runs before any validation, so an
 *   anonymous caller learns nothing from a 400. It authenticates the admin credential and asks the policy Worker
 *   (shared/admin/authorize.ts): 401 / 403 / 503, failing closed. The action is in the document (`x-admin-action`).
 * - Invalid input is a 400 problem+json (`ERR_VALIDATION`) listing zod's issues.
 * - `audit(...)`: every change is an `admin.action` event naming the actor and the credential it used.
 * - `forward(...)`: the other Workers' APIs are called with the operator's own credential, so they authenticate and
 *   authorize it again (one copy of their logic, and no credential of the admin Worker's own to steal).
 * - `adminProxy(api, area)`: the one pattern of a route another Worker answers, built from the three above: the
 *   Cedar guard, the schemas, the call over the service binding, the upstream's answer (or problem+json) as it is,
 *   and for every change that succeeded an audit event naming the actor.
 */
import { createRoute, OpenAPIHono, type RouteConfig, z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { type AdminAccess, adminRequestOf, authorizeAdmin } from '../../../shared/admin/authorize.js';
import { identityOf, type ServiceVariables } from '../../../shared/app.js';
import { readJsonBody } from '../../../shared/body.js';
import { validationFailed } from '../../../shared/errors.js';
import type { SecurityEventOutcome } from '../../../shared/events/event.js';
import type { PolicyDecision } from '../../../shared/policy-client.js';
import type { AdminApiAction } from './actions.js';
import type { Env } from './env.js';
import type { AdminServices } from './services.js';
import { jsonBody, pathParams } from './schemas.js';
import type { Upstream } from './upstream.js';

export type AdminApiEnv = {
  Bindings: Env;
  Variables: ServiceVariables<AdminServices> & { access: AdminAccess<PolicyDecision>; action: string };
};

export type AdminApi = OpenAPIHono<AdminApiEnv>;

/** RFC 9457 problem details, as shared/app.ts answers every error. */
export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    code: z.string(),
    request_id: z.string().optional(),
  })
  .passthrough()
  .openapi('Problem');

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: Problem } },
});

/** The answers every admin route may give besides its own. */
export const ADMIN_ERRORS = {
  400: problem('Malformed or invalid request (zod issues in `errors`)'),
  413: problem('Body larger than MAX_BODY_BYTES'),
  415: problem('Body is not JSON'),
  401: problem('No valid admin credential (WWW-Authenticate: Bearer realm="admin")'),
  403: problem("The policy denies the action, or it is outside the API token's scopes"),
  404: problem('No such resource'),
  409: problem('Concurrent change'),
  503: problem('The policy Worker (or another dependency) cannot answer: fail closed'),
} as const;

export function createAdminApi(): AdminApi {
  return new OpenAPIHono<AdminApiEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        throw validationFailed(`invalid ${result.target}`, {
          errors: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
        });
      }
    },
  });
}

const ADMIN_ENDPOINT = (area: string) => ({ type: 'AdminEndpoint', id: area });

/**
 * A route of the admin API: the guard for `action` on `AdminEndpoint::"<area>"` first, then zod's validation, then
 * the handler. Every route is declared through here, so none can skip the guard.
 */
export function adminRoute<R extends Omit<RouteConfig, 'middleware' | 'security'>>(
  action: AdminApiAction,
  area: string,
  config: R,
) {
  const hasBody = config.request?.body !== undefined;
  const guard: MiddlewareHandler<AdminApiEnv> = async (c, next) => {
    const access = await authorizeAdmin(
      c.get('services').admin,
      adminRequestOf(c as never),
      action,
      ADMIN_ENDPOINT(area),
    );
    c.set('access', access);
    c.set('action', action);
    if (hasBody) {
      // The one bounded body reader (413 past MAX_BODY_BYTES, also when chunked; 415 unless JSON; depth limit),
      // handed to the validator through Hono's body cache.
      const body = await readJsonBody(c.req.raw, c.get('services').config.MAX_BODY_BYTES);
      c.req.bodyCache.json = Promise.resolve(body);
    }
    await next();
  };
  const route = createRoute({
    ...config,
    security: [{ adminBearer: [] }],
    'x-admin-action': action,
    responses: { ...ADMIN_ERRORS, ...config.responses },
    middleware: [guard] as const,
  });
  // Handlers may answer with another Worker's response as it is, so the handler type allows a plain Response;
  // the declared responses still make the document.
  return route as Omit<typeof route, 'responses'> & { responses: { [status: number]: { description: string } } };
}

type Ctx = Context<AdminApiEnv>;

/** Records one administrative change (success or the upstream's refusal) with its actor. */
export function audit(
  c: Ctx,
  target: Record<string, unknown>,
  outcome: SecurityEventOutcome = 'success',
  extra: Record<string, unknown> = {},
): void {
  const access = c.get('access');
  const request = adminRequestOf(c as never);
  c.get('services').events.emit(
    {
      type: 'admin.action',
      outcome,
      ...request.origin,
      ...(typeof target.client_id === 'string' ? { client_id: target.client_id } : {}),
      details: {
        actor: access.principal.id,
        credential: access.principal.credentialId,
        action: c.get('action'),
        method: c.req.method,
        path: c.req.path,
        ...target,
        ...extra,
      },
    },
    request.ctx,
  );
}

/**
 * Calls another Worker's API with the caller's credential and answers with its response. A change that
 * succeeded upstream is audited here with `target`.
 */
export async function forward(
  c: Ctx,
  upstream: Upstream,
  path: string,
  init: { method?: string; body?: unknown; audit?: Record<string, unknown> } = {},
): Promise<Response> {
  const res = await upstream.call(path, {
    method: init.method ?? c.req.method,
    authorization: c.req.header('authorization'),
    body: init.body,
    identity: identityOf(c as never),
  });
  if (init.audit && res.ok) audit(c, init.audit);
  return res;
}

/** The validated request, as a proxied route's callbacks see it. */
export interface ProxyInput {
  param: Record<string, string | number>;
  query: Record<string, unknown>;
  body: Record<string, unknown>;
}

/** One route another Worker answers: its document, its request schemas, and what differs from the defaults. */
export interface ProxySpec {
  summary: string;
  description?: string;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** Its answers (default: 200 with the area's resource). */
  responses?: RouteConfig['responses'];
  /** The upstream path, `{name}` standing for a path parameter (default: the route's path under the area's prefix). */
  to?: string;
  /** The body passed on (default: the validated JSON body). */
  send?: (input: ProxyInput) => unknown;
  /** What a change's audit event names besides the area's target; `answer` is the upstream's JSON answer. */
  audit?: (input: ProxyInput, answer: Record<string, unknown>) => Record<string, unknown>;
}

/** An area of the admin API that another Worker owns. */
export interface ProxyArea {
  /** The Cedar resource: `AdminEndpoint::"<area>"`. */
  area: string;
  tag: string;
  upstream: 'auth' | 'policy' | 'monitor';
  /** What stands for `/v1` in the upstream's paths (default: `/v1`, the same path). */
  prefix?: string;
  /** The schemas of the path parameters, by name; each route takes those its path names. */
  params?: Record<string, z.ZodType>;
  /** The answer of a route that answers with the area's resource (read one, change its state). */
  answer?: RouteConfig['responses'][number];
  /** What the audit event of every change in the area names, from the path parameters. */
  target?: (param: ProxyInput['param']) => Record<string, unknown>;
}

/** The JSON object of an upstream's answer, read from a copy (`{}` when there is none). */
async function jsonOf(res: Response): Promise<Record<string, unknown>> {
  try {
    return await res.clone().json();
  } catch {
    return {};
  }
}

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** `{name}` in `template` replaced by the (encoded) path parameter, and the validated query appended. */
function upstreamPath(template: string, input: ProxyInput): string {
  const path = template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(input.param[name])));
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(input.query)) if (v !== undefined) qs.set(k, String(v));
  return qs.size ? `${path}?${qs}` : path;
}

/**
 * Declares the routes of an area another Worker answers: `route(action, method, path, spec)` guards the route with
 * `action` (adminRoute), validates it, calls the area's upstream with the operator's credential, and answers with
 * the upstream's response. A change (any method but GET) that the upstream accepted is audited with the area's
 * target and the spec's own details.
 */
export function adminProxy(api: AdminApi, area: ProxyArea) {
  return (action: AdminApiAction, method: Method, path: string, spec: ProxySpec): void => {
    const { to, send, audit: details, query, body, ...doc } = spec;
    const responses = spec.responses ?? (area.answer && { 200: area.answer });
    if (!responses) throw new Error(`${method} ${path} declares no answer`);
    const names = [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => name as string);
    const params = names.length
      ? pathParams(Object.fromEntries(names.map((n) => [n, area.params?.[n] ?? z.string()])))
      : undefined;
    const request = { ...(params && { params }), ...(query && { query }), ...(body && { body: jsonBody(body) }) };
    const template = to ?? `${area.prefix ?? '/v1'}${path.slice('/v1'.length)}`;
    const route = adminRoute(action, area.area, { method, path, tags: [area.tag], ...doc, request, responses });
    api.openapi(route, async (c) => {
      const valid = c.req.valid.bind(c.req) as (target: string) => Record<string, never> | undefined;
      const input: ProxyInput = { param: valid('param') ?? {}, query: valid('query') ?? {}, body: valid('json') ?? {} };
      const res = await forward(c as never, c.get('services')[area.upstream], upstreamPath(template, input), {
        body: send ? send(input) : body && input.body,
      });
      if (method !== 'get' && res.ok) {
        const answer = details ? await jsonOf(res) : {};
        audit(c as never, { ...area.target?.(input.param), ...details?.(input, answer) });
      }
      return res;
    });
  };
}
