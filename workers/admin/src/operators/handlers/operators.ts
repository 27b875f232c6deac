/**
 * `/v1/operators`: which platform users are operators (may sign in to the dashboard), with which roles. Granting
 * stores an admin credential for the principal `user:<id>` whose bearer token is thrown away at once: operators
 * sign in through the platform's OIDC; automation uses API tokens (`/v1/tokens`). Changing roles replaces the
 * credential, and revoking it ends the operator's dashboard sessions (their tokens descend from it). Granting is
 * `Admin_credentials_create` (superadmin only in the shipped policy), with no role beyond the granter's own.
 */
import { type RouteConfig, z } from '@hono/zod-openapi';
import { identityOf } from '../../../../../shared/app.js';
import { hashSecret, randomToken } from '../../../../../shared/crypto.js';
import { notFound, validationFailed } from '../../../../../shared/errors.js';
import type { AdminApiAction } from '../../actions.js';
import { type AdminApi, adminRoute, audit } from '../../api.js';
import { OperatorGrantError, planOperatorRoles } from '../domain/operator-grant.js';
import { OPERATOR_PREFIX, type OperatorRecord, operatorPrincipal } from '../domain/operator-store.js';

const OperatorView = z
  .object({
    user_id: z.string(),
    principal: z.string().describe('`user:<id>`: the principal the policy Worker decides on'),
    roles: z.array(z.string()),
    credential_id: z.string(),
    granted_at: z.string().datetime(),
    granted_by: z.string().nullable(),
  })
  .openapi('Operator');

const userIdParam = z
  .string()
  .uuid()
  .openapi({ param: { name: 'id', in: 'path' } });
const UserId = z.object({ id: userIdParam });

function answer(description: string, schema: z.ZodType) {
  return { description, content: { 'application/json': { schema } } };
}

/** A route of this area: `AdminEndpoint::"credentials"` (operators are admin credentials), tagged `operators`. */
function operatorRoute<R extends Omit<RouteConfig, 'middleware' | 'security' | 'tags'>>(
  action: AdminApiAction,
  config: R,
) {
  return adminRoute(action, 'credentials', { ...config, tags: ['operators'] });
}

function view(o: OperatorRecord): z.infer<typeof OperatorView> {
  return {
    user_id: o.principalId.slice(OPERATOR_PREFIX.length),
    principal: o.principalId,
    roles: o.roles,
    credential_id: o.credentialId,
    granted_at: new Date(o.createdAt).toISOString(),
    granted_by: o.description?.startsWith('granted by ') ? o.description.slice('granted by '.length) : null,
  };
}

export function registerOperatorRoutes(api: AdminApi): void {
  api.openapi(
    operatorRoute('Admin_credentials_read', {
      method: 'get',
      path: '/v1/operators',
      summary: 'List operators: users who may sign in to the dashboard, with their roles',
      request: { query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }) },
      responses: { 200: answer('Operators, newest grant first', z.object({ operators: z.array(OperatorView) })) },
    }),
    async (c) => {
      const operators = await c.get('services').operators.listOperators(OPERATOR_PREFIX, c.req.valid('query').limit);
      return c.json({ operators: operators.map(view) }, 200);
    },
  );

  api.openapi(
    operatorRoute('Admin_credentials_create', {
      method: 'put',
      path: '/v1/operators/{id}',
      summary: "Make a user an operator with these roles (replaces the user's earlier roles and ends their sessions)",
      request: {
        params: UserId,
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z.object({ roles: z.array(z.string().max(64)).min(1).max(20) }).strict(),
            },
          },
        },
      },
      responses: { 200: answer('The operator', OperatorView) },
    }),
    async (c) => {
      const services = c.get('services');
      const { principal } = c.get('access');
      const { id } = c.req.valid('param');
      let roles: string[];
      try {
        roles = planOperatorRoles(principal, c.req.valid('json').roles);
      } catch (err) {
        if (err instanceof OperatorGrantError) throw validationFailed(err.message);
        throw err;
      }
      // The user must exist (asked of the auth Worker with the granter's own credential: its 404 is passed on).
      await services.auth.json(`/admin/users/${encodeURIComponent(id)}`, {
        method: 'GET',
        authorization: c.req.header('authorization'),
        identity: identityOf(c as never),
      });
      const { operator, replaced } = await services.operators.grant({
        id: `cred-op-${randomToken(12)}`,
        tokenHash: await hashSecret(`esp_${randomToken(32)}`),
        principalId: operatorPrincipal(id),
        roles,
        description: `granted by ${principal.id}`,
      });
      audit(c, { user_id: id, roles, credential_id: operator.credentialId, replaced });
      return c.json(view(operator), 200);
    },
  );

  api.openapi(
    operatorRoute('Admin_credentials_revoke', {
      method: 'delete',
      path: '/v1/operators/{id}',
      summary: 'Stop a user being an operator (their dashboard sessions end within 5 s)',
      request: { params: UserId },
      responses: { 204: { description: 'No longer an operator' } },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const revoked = await c.get('services').operators.revoke(operatorPrincipal(id));
      if (revoked === 0) throw notFound(`user ${id} is not an operator`);
      audit(c, { user_id: id, revoked });
      return c.body(null, 204);
    },
  );
}
