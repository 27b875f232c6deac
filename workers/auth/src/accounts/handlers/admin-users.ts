/**
 * Operator account administration, on the platform's admin-authorization pattern (shared/admin/authorize.ts): an
 * admin credential, then the policy Worker's decision on `AdminEndpoint::"users"`, failing closed.
 *
 * - `POST /admin/users` (`Admin_users_create`): `{email, password, name?, email_verified?}` → 201 with the account
 *   (never the hash). The same email and password rules as sign-up; an existing email is 409.
 * - `POST /admin/users/:id/sessions/revoke` (`Admin_users_update_one`): ends every session of the user
 *   ("revoke all"), e.g. after a suspected account takeover.
 */
import { adminRequestOf, authorizeAdmin } from '../../../../../shared/admin/authorize.js';
import { readJsonBody } from '../../../../../shared/body.js';
import { clientAddress } from '../../../../../shared/client-address.js';
import { conflict, notFound, validationFailed } from '../../../../../shared/errors.js';
import { endAllSessions } from '../../login/handlers/sessions-store.js';
import { emit } from '../../oauth/handlers/common.js';
import type { AuthContext } from '../../services.js';
import { isUserId } from '../domain/user-store.js';
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
  return c.json(
    {
      id: user.id,
      email: user.email,
      name: user.name ?? null,
      email_verified: user.emailVerified,
      status: user.status,
    },
    201,
  );
}

export async function revokeUserSessions(c: AuthContext): Promise<Response> {
  const services = c.get('services');
  const { principal } = await authorizeAdmin(
    services.admin,
    adminRequestOf(c),
    'Admin_users_update_one',
    USERS_ENDPOINT,
  );
  const id = c.req.param('id');
  if (!isUserId(id) || !(await services.users.findById(id))) throw notFound('no such user');
  const ended = await endAllSessions(services, id);
  emit(c, clientAddress(c.req.raw, services.config.TRUST_PROXY_HEADERS), 'session.revoked', 'success', undefined, {
    user_id: id,
    by: 'admin',
    admin: principal.id,
    sessions: ended,
  });
  return c.json({ user_id: id, sessions_revoked: ended });
}
