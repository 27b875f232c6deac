/**
 * `/v1/users`: end-user accounts and their sessions. The auth Worker owns accounts (its users store) and sessions
 * (keyed state), with the handlers in workers/auth/src/accounts/handlers/admin-users.ts; these routes validate,
 * authorize and audit, then call it over the AUTH binding with the operator's credential (authorized there again).
 */
import { z } from '@hono/zod-openapi';
import { type AdminApi, adminRoute, audit, forward } from '../../api.js';

const User = z
  .object({
    id: z.string().uuid(),
    email: z.string(),
    name: z.string().nullable(),
    email_verified: z.boolean(),
    status: z.enum(['active', 'disabled']),
    roles: z.array(z.string()),
    created_at: z.number().int().nullable(),
    last_login_at: z.number().int().nullable(),
  })
  .openapi('User');

const NewUser = z
  .object({
    email: z.string().max(320),
    password: z.string().max(1024).describe('Checked against the sign-up rules; stored as a scrypt hash only'),
    name: z.string().max(200).optional(),
    email_verified: z.boolean().optional(),
  })
  .strict()
  .openapi('NewUser');

const Session = z
  .object({
    handle: z.string().describe("The session's public handle (the ID token's sid), never its id"),
    created_at: z.number().int(),
    ends_at: z.number().int(),
    user_agent: z.string().nullable(),
  })
  .openapi('UserSession');

const UserId = z.object({
  id: z
    .string()
    .uuid()
    .openapi({ param: { name: 'id', in: 'path' } }),
});

const json = (description: string, schema: z.ZodType) => ({
  description,
  content: { 'application/json': { schema } },
});

const path = (id: string, rest = '') => `/admin/users/${encodeURIComponent(id)}${rest}`;

export function registerUserRoutes(api: AdminApi): void {
  api.openapi(
    adminRoute('Admin_users_read', 'users', {
      method: 'get',
      path: '/v1/users',
      tags: ['users'],
      summary: 'List and search users',
      request: {
        query: z.object({
          search: z.string().max(256).optional().describe('Substring of the email address or name'),
          status: z.enum(['active', 'disabled']).optional(),
          limit: z.coerce.number().int().min(1).max(200).optional(),
          offset: z.coerce.number().int().min(0).max(1_000_000).optional(),
        }),
      },
      responses: {
        200: json(
          'A page of users, newest first',
          z.object({ users: z.array(User), limit: z.number(), offset: z.number() }),
        ),
      },
    }),
    (c) => {
      const query = new URLSearchParams();
      for (const [k, v] of Object.entries(c.req.valid('query'))) if (v !== undefined) query.set(k, String(v));
      const qs = query.toString();
      return forward(c, c.get('services').auth, `/admin/users${qs ? `?${qs}` : ''}`);
    },
  );

  api.openapi(
    adminRoute('Admin_users_create', 'users', {
      method: 'post',
      path: '/v1/users',
      tags: ['users'],
      summary: 'Create a user (same email and password rules as sign-up)',
      request: { body: { required: true, content: { 'application/json': { schema: NewUser } } } },
      responses: { 201: json('The user', User) },
    }),
    async (c) => {
      const res = await forward(c, c.get('services').auth, '/admin/users', { body: c.req.valid('json') });
      if (res.status === 201) {
        const created = (await res.clone().json()) as { id: string };
        audit(c, { user_id: created.id });
      }
      return res;
    },
  );

  api.openapi(
    adminRoute('Admin_users_read_one', 'users', {
      method: 'get',
      path: '/v1/users/{id}',
      tags: ['users'],
      summary: 'Read a user',
      request: { params: UserId },
      responses: { 200: json('The user', User) },
    }),
    (c) => forward(c, c.get('services').auth, path(c.req.valid('param').id)),
  );

  for (const [verb, summary] of [
    ['disable', 'Disable a user (cannot sign in; every session ends at once)'],
    ['enable', 'Enable a disabled user'],
  ] as const) {
    api.openapi(
      adminRoute('Admin_users_disable', 'users', {
        method: 'post',
        path: `/v1/users/{id}/${verb}`,
        tags: ['users'],
        summary,
        request: { params: UserId },
        responses: { 200: json('The user', User) },
      }),
      (c) => {
        const { id } = c.req.valid('param');
        return forward(c, c.get('services').auth, path(id, `/${verb}`), { audit: { user_id: id } });
      },
    );
  }

  api.openapi(
    adminRoute('Admin_users_reset_password', 'users', {
      method: 'post',
      path: '/v1/users/{id}/password-reset',
      tags: ['users'],
      summary: 'Set a one-time password reset (its token is shown once; the user is signed out everywhere)',
      request: { params: UserId },
      responses: {
        200: json(
          'The reset token, redeemed once at the auth Worker (POST /password-reset, form token + password)',
          z.object({
            user_id: z.string(),
            reset_token: z.string().describe('Shown in this answer only'),
            reset_url: z.string(),
            expires_at: z.number().int(),
            sessions_revoked: z.number().int(),
          }),
        ),
      },
    }),
    (c) => {
      const { id } = c.req.valid('param');
      return forward(c, c.get('services').auth, path(id, '/password-reset'), { audit: { user_id: id } });
    },
  );

  api.openapi(
    adminRoute('Admin_users_sessions_read', 'users', {
      method: 'get',
      path: '/v1/users/{id}/sessions',
      tags: ['users'],
      summary: "List a user's sessions",
      request: { params: UserId },
      responses: { 200: json('The sessions', z.object({ user_id: z.string(), sessions: z.array(Session) })) },
    }),
    (c) => forward(c, c.get('services').auth, path(c.req.valid('param').id, '/sessions')),
  );

  api.openapi(
    adminRoute('Admin_users_sessions_revoke', 'users', {
      method: 'post',
      path: '/v1/users/{id}/sessions/revoke',
      tags: ['users'],
      summary: 'Revoke every session of a user',
      request: { params: UserId },
      responses: {
        200: json('How many ended', z.object({ user_id: z.string(), sessions_revoked: z.number().int() })),
      },
    }),
    (c) => {
      const { id } = c.req.valid('param');
      return forward(c, c.get('services').auth, path(id, '/sessions/revoke'), { audit: { user_id: id } });
    },
  );

  api.openapi(
    adminRoute('Admin_users_sessions_revoke', 'users', {
      method: 'delete',
      path: '/v1/users/{id}/sessions/{handle}',
      tags: ['users'],
      summary: 'Revoke one session of a user (by its handle)',
      request: {
        params: UserId.extend({
          handle: z
            .string()
            .min(1)
            .max(128)
            .regex(/^[A-Za-z0-9_-]+$/)
            .openapi({ param: { name: 'handle', in: 'path' } }),
        }),
      },
      responses: { 204: { description: 'Ended' } },
    }),
    (c) => {
      const { id, handle } = c.req.valid('param');
      return forward(c, c.get('services').auth, path(id, `/sessions/${handle}`), {
        audit: { user_id: id, session: handle },
      });
    },
  );
}
