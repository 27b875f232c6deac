/**
 * The dashboard (`/dashboard`), server-rendered by the admin Worker. Why server-rendered: the pages are lists and
 * forms over the admin API; rendering them in the Worker needs no build step, no client bundle, no script under the
 * CSP (so `script-src` stays absent), works without JavaScript, and keeps the operator's token out of any script's
 * reach (it lives in an HttpOnly cookie and is used server-side only).
 *
 * Sign-in: the platform's own OpenID Connect code flow with PKCE (S256), the admin Worker being a confidential
 * client of the auth Worker (client_secret_basic over the AUTH binding); the ID token is verified against the auth
 * Worker's JWKS (issuer, audience, nonce, expiry). The user is an operator when a live admin credential has the
 * principal `user:<sub>` (operators/domain/operator-store.ts); the session is an operator API token rooted at that
 * credential, with its roles and every admin API action as scope, for DASHBOARD_SESSION_SECONDS. Sign-out revokes it.
 *
 * Every change is a POST with the session's CSRF token (and, when the browser sends one, a same-origin Origin);
 * each page calls the admin API in-process with the session's token, so every action is authorized by the policy
 * Worker and audited as the operator exactly like an API call.
 */
import { registerAlerts } from './alerts.js';
import { registerAudit } from './audit.js';
import { registerClientEdit } from './client-edit.js';
import { registerClients } from './clients.js';
import { registerEntities } from './entities.js';
import { registerKeys } from './keys.js';
import { registerOverview } from './overview.js';
import { type App, createDashboard } from './page.js';
import { registerPolicies } from './policies.js';
import { registerSignIn } from './sign-in.js';
import { registerSignOut } from './sign-out.js';
import { registerUsers } from './users.js';

/** Registers every dashboard route on the Worker's app (one module per area, in this order). */
export function registerDashboard(app: App): void {
  const d = createDashboard(app);
  registerSignIn(d);
  registerSignOut(d);
  registerOverview(d);
  registerClients(d);
  registerClientEdit(d);
  registerUsers(d);
  registerKeys(d);
  registerPolicies(d);
  registerEntities(d);
  registerAlerts(d);
  registerAudit(d);
}
