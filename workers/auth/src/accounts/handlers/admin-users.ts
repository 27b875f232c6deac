/**
 * Operator account administration, on the platform's admin-authorization pattern (shared/admin/authorize.ts): an
 * admin credential, then the policy Worker's decision on `AdminEndpoint::"users"`, failing closed.
 *
 * - `POST /admin/users` (`Admin_users_create`): `{email, password, name?, email_verified?}` → 201 with the account
 *   (never the hash). The same email and password rules as sign-up; an existing email is 409.
 * - `POST /admin/users/:id/sessions/revoke` (`Admin_users_sessions_revoke`): ends every session of the user
 *   ("revoke all"), e.g. after a suspected account takeover.
 * - `GET /admin/users` (`Admin_users_read`), `GET /admin/users/:id` (`Admin_users_read_one`): accounts, never a hash;
 *   the one account also with its second factors (`mfa`: what is enrolled and when, never a secret).
 * - `POST /admin/users/:id/disable|enable` (`Admin_users_disable`): a disabled account cannot sign in and its
 *   sessions end at once.
 * - `POST /admin/users/:id/password-reset` (`Admin_users_reset_password`): a one-time reset token (shown once, kept
 *   as its hash, 24 h) redeemed at `POST /password-reset`; the user's sessions end.
 * - `GET /admin/users/:id/sessions` (`Admin_users_sessions_read`), `DELETE /admin/users/:id/sessions/:handle`
 *   (`Admin_users_sessions_revoke`): the user's sessions by their public handle (never the session id).
 * - Second factors and refresh tokens: admin-user-credentials.ts.
 *
 * The admin API (workers/admin) calls these with the operator's own credential; they are authorized here again.
 */
import { adminRequestOf, authorizeAdmin } from '../../../../../shared/admin/authorize.js';
import { readJsonBody } from '../../../../../shared/body.js';
import { clientAddress } from '../../../../../shared/client-address.js';
import { conflict, notFound, validationFailed } from '../../../../../shared/errors.js';
import type { SecurityEventType } from '../../../../../shared/events/event.js';
import { endAllSessions, endUserSession, listUserSessions } from '../../login/handlers/sessions-store.js';
import { emit } from '../../oauth/handlers/common.js';
import { hashSecret, randomToken } from '../../../../../shared/crypto.js';
import { machineClient } from '../../../../../shared/state/store.js';
import type { AuthContext, AuthServices } from '../../services.js';
import { PASSWORD_RESET_SECONDS, passwordResets } from '../domain/password-reset.js';
import { isUserId, type UserRecord, type UserStatus } from '../domain/user-store.js';
import type { UserFactors } from '../../mfa/domain/mfa-store.js';
import { createAccount } from './create-account.js';

const USERS_ENDPOINT = { type: 'AdminEndpoint', id: 'users' };

export async function createUser(c: AuthContext): Promise<Response> {
  const services = c.get('services');
  const { principal } = await authorizeAdmin(services.admin, adminRequestOf(c), 'Admin_users_create', USERS_ENDPOINT);
  const body = await readJsonBody(c.req.raw, services.config.MAX_BODY_BYTES);
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw validationFailed('body must be an object');
  const doc = body as Record<string, unknown>;
  if (doc.email_verified !== undefined && typeof doc.email_verified !== 'boolean') {
    throw validationFailed('email_verified must be a boolean');
  }
  const result = await createAccount(services.users, {
    email: doc.email,
    password: doc.password,
    name: doc.name,
    emailVerified: doc.email_verified === true,
  });
  if (!result.ok) {
    if (result.exists) throw conflict('an account with this email address already exists');
    throw validationFailed('the account is not valid', { errors: result.problems });
  }
  const ip = clientAddress(c.req.raw, services.config.TRUST_PROXY_HEADERS);
  const { user } = result;
  services.events.emit(
    {
      type: 'user.signed_up',
      outcome: 'success',
      user_id: user.id,
      ip,
      request_id: c.get('requestId'),
      details: { by: 'admin', admin: principal.id },
    },
    c.executionCtx,
  );
  return c.json(userView(user), 201);
}

/**
 * The start of every route on one user: the admin credential and the policy's decision for `action`, then the user
 * the path names (404 unless it exists).
 */
export async function authorizeOnUser(c: AuthContext, action: string) {
  const services = c.get('services');
  const { principal } = await authorizeAdmin(services.admin, adminRequestOf(c), action, USERS_ENDPOINT);
  const id = c.req.param('id') ?? '';
  const user = await userOr404(services, id);
  return { services, admin: principal.id, id, user };
}

/** The security event of an operator's change to a user, naming the operator. */
export function userChanged(
  c: AuthContext,
  type: SecurityEventType,
  admin: string,
  userId: string,
  details: Record<string, unknown>,
): void {
  const ip = clientAddress(c.req.raw, c.get('services').config.TRUST_PROXY_HEADERS);
  emit(c, ip, type, 'success', undefined, { user_id: userId, by: 'admin', admin, ...details });
}

export async function revokeUserSessions(c: AuthContext): Promise<Response> {
  const { services, admin, id } = await authorizeOnUser(c, 'Admin_users_sessions_revoke');
  const ended = await endAllSessions(services, id);
  userChanged(c, 'session.revoked', admin, id, { sessions: ended });
  return c.json({ user_id: id, sessions_revoked: ended });
}

/** An account as operators see it (never the password hash). */
export function userView(user: UserRecord) {
  return {
    id: user.id,
    email: user.email,
    name: user.name ?? null,
    email_verified: user.emailVerified,
    status: user.status,
    roles: user.roles ?? [],
    created_at: user.createdAt ?? null,
    last_login_at: user.lastLoginAt ?? null,
  };
}

async function userOr404(services: AuthServices, id: string): Promise<UserRecord> {
  const user = isUserId(id) ? await services.users.findById(id) : null;
  if (!user) throw notFound('no such user');
  return user;
}

function intParam(value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,7}$/.test(value) || Number(value) > max) throw validationFailed('limit/offset out of range');
  return Number(value);
}

export async function listUsers(c: AuthContext): Promise<Response> {
  const services = c.get('services');
  await authorizeAdmin(services.admin, adminRequestOf(c), 'Admin_users_read', USERS_ENDPOINT);
  const search = c.req.query('search');
  const status = c.req.query('status');
  if (search !== undefined && search.length > 256) throw validationFailed('search is too long');
  if (status !== undefined && status !== 'active' && status !== 'disabled') throw validationFailed('unknown status');
  const limit = intParam(c.req.query('limit'), 50, 200);
  const offset = intParam(c.req.query('offset'), 0, 1_000_000);
  const rows = await services.users.list({
    ...(search ? { search } : {}),
    ...(status ? { status: status as UserStatus } : {}),
    limit,
    offset,
  });
  return c.json({ users: rows.map(userView), limit, offset });
}

export async function readUser(c: AuthContext): Promise<Response> {
  const { services, user } = await authorizeOnUser(c, 'Admin_users_read_one');
  const factors = await services.mfa.store.factors(user.id);
  return c.json({ ...userView(user), mfa: factorsView(factors) });
}

/** A user's second factors as operators see them: what is enrolled and when, never a secret or public key. */
function factorsView(factors: UserFactors) {
  return {
    totp: factors.totp ? { created_at: factors.totp.createdAt } : null,
    passkeys: factors.passkeys.map((p) => ({
      id: p.id,
      name: p.name,
      device_type: p.deviceType,
      created_at: p.createdAt,
    })),
    backup_codes_remaining: factors.backupCodesRemaining,
  };
}

/** `disable` / `enable`: disabling also ends every session, so the account is out at once. */
export function setUserStatus(status: UserStatus) {
  return async (c: AuthContext): Promise<Response> => {
    const { services, admin, id } = await authorizeOnUser(c, 'Admin_users_disable');
    const user = await services.users.setStatus(id, status);
    if (!user) throw notFound('no such user');
    if (status === 'disabled') {
      const ended = await endAllSessions(services, id);
      userChanged(c, 'session.revoked', admin, id, { reason: 'account_disabled', sessions: ended });
    }
    return c.json(userView(user));
  };
}

export async function resetUserPassword(c: AuthContext): Promise<Response> {
  const { services, admin, id } = await authorizeOnUser(c, 'Admin_users_reset_password');
  const token = randomToken();
  const expiresAt = Math.floor(Date.now() / 1000) + PASSWORD_RESET_SECONDS;
  await machineClient(services.state, passwordResets).issue(await hashSecret(token), { userId: id, expiresAt });
  const ended = await endAllSessions(services, id);
  userChanged(c, 'session.revoked', admin, id, { reason: 'password_reset', sessions: ended });
  return c.json({
    user_id: id,
    reset_token: token,
    reset_url: `${services.config.ISSUER}/password-reset`,
    expires_at: expiresAt,
    sessions_revoked: ended,
  });
}

export async function listSessionsOfUser(c: AuthContext): Promise<Response> {
  const { services, id } = await authorizeOnUser(c, 'Admin_users_sessions_read');
  const entries = await listUserSessions(services, id);
  return c.json({
    user_id: id,
    sessions: entries.map((e) => ({
      handle: e.handle,
      created_at: e.createdAt,
      ends_at: e.endsAt,
      user_agent: e.userAgent ?? null,
    })),
  });
}

export async function revokeSessionOfUser(c: AuthContext): Promise<Response> {
  const { services, admin, id } = await authorizeOnUser(c, 'Admin_users_sessions_revoke');
  const handle = c.req.param('handle') ?? '';
  if (!(await endUserSession(services, id, handle))) throw notFound('no such session');
  userChanged(c, 'session.revoked', admin, id, { sessions: 1 });
  return c.body(null, 204);
}
