/**
 * `/v1/users`: end-user accounts, their sessions, second factors and refresh-token families. The auth Worker owns
 * all of them (users store, keyed state, MFA store), with the handlers in workers/auth/src/accounts/handlers/
 * (admin-users.ts, admin-user-credentials.ts); these routes validate, authorize and audit, then call it over the
 * AUTH binding with the operator's credential (authorized there again).
 */
import { z } from '@hono/zod-openapi';
import { type AdminApi, adminProxy } from '../../api.js';
import { json, page, searchQuery } from '../../schemas.js';

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

const Handle = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_-]+$/);

export function registerUserRoutes(api: AdminApi): void {
  const route = adminProxy(api, {
    area: 'users',
    tag: 'users',
    upstream: 'auth',
    prefix: '/admin',
    params: { id: z.string().uuid(), handle: Handle, factor: z.enum(['totp', 'backup-codes', 'passkeys', 'all']) },
    answer: json('The user', User),
    target: ({ id }) => ({ user_id: id }),
  });
  route('Admin_users_read', 'get', '/v1/users', {
    summary: 'List and search users',
    query: searchQuery('Substring of the email address or name', ['active', 'disabled']),
    responses: { 200: json('A page of users, newest first', page('users', User)) },
  });
  route('Admin_users_create', 'post', '/v1/users', {
    summary: 'Create a user (same email and password rules as sign-up)',
    body: NewUser,
    responses: { 201: json('The user', User) },
    audit: (_, created) => ({ user_id: created.id }),
  });
  route('Admin_users_read_one', 'get', '/v1/users/{id}', { summary: 'Read a user' });
  route('Admin_users_disable', 'post', '/v1/users/{id}/disable', {
    summary: 'Disable a user (cannot sign in; every session ends at once)',
  });
  route('Admin_users_disable', 'post', '/v1/users/{id}/enable', { summary: 'Enable a disabled user' });
  route('Admin_users_reset_password', 'post', '/v1/users/{id}/password-reset', {
    summary: 'Set a one-time password reset (its token is shown once; the user is signed out everywhere)',
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
  });
  route('Admin_users_sessions_read', 'get', '/v1/users/{id}/sessions', {
    summary: "List a user's sessions",
    responses: { 200: json('The sessions', z.object({ user_id: z.string(), sessions: z.array(Session) })) },
  });
  route('Admin_users_sessions_revoke', 'post', '/v1/users/{id}/sessions/revoke', {
    summary: 'Revoke every session of a user',
    responses: { 200: json('How many ended', z.object({ user_id: z.string(), sessions_revoked: z.number().int() })) },
  });
  route('Admin_users_sessions_revoke', 'delete', '/v1/users/{id}/sessions/{handle}', {
    summary: 'Revoke one session of a user (by its handle)',
    responses: { 204: { description: 'Ended' } },
    audit: ({ param }) => ({ session: param.handle }),
  });
  route('Admin_users_mfa_remove', 'delete', '/v1/users/{id}/mfa/{factor}', {
    summary: "Remove a user's second factors: totp, backup-codes, passkeys (only the one named by ?name=) or all",
    query: z.object({
      name: z.string().min(1).max(256).optional().describe('The passkey to remove (factor passkeys)'),
    }),
    responses: {
      200: json(
        'What was removed, and whether a second factor is left (without one, sign-in asks for the password only)',
        z.object({ user_id: z.string(), removed: z.array(z.string()), second_factor: z.boolean() }),
      ),
    },
    audit: ({ param, query }) => ({ factor: param.factor, passkey: query.name }),
  });
  route('Admin_users_refresh_revoke', 'post', '/v1/users/{id}/refresh-tokens/revoke', {
    summary: 'Revoke every refresh-token family of a user (their access tokens go inactive at introspection)',
    responses: {
      200: json('How many families ended', z.object({ user_id: z.string(), families_revoked: z.number().int() })),
    },
  });
}
