/** Routes of the auth Worker: the OAuth 2.0 authorization server. Each capability's handlers are in its folder. */
import { createServiceApp } from '../../../shared/app.js';
import {
  createUser,
  listSessionsOfUser,
  listUsers,
  readUser,
  resetUserPassword,
  revokeSessionOfUser,
  revokeUserSessions,
  setUserStatus,
} from './accounts/handlers/admin-users.js';
import { removeUserFactors, revokeUserRefreshTokens } from './accounts/handlers/admin-user-credentials.js';
import { passwordResetForm, redeemPasswordReset } from './accounts/handlers/password-reset.js';
import { authorizationEndpoint } from './authorize/handlers/authorize.js';
import { appsList, revokeApp } from './login/handlers/apps-page.js';
import { consentDecision, consentForm } from './login/handlers/consent.js';
import { revokeSession, sessionsList } from './login/handlers/sessions-page.js';
import { selectAccount, selectAccountForm } from './login/handlers/select-account.js';
import { signIn, signInForm } from './login/handlers/sign-in.js';
import { signUp, signUpForm } from './login/handlers/sign-up.js';
import { renamePasskey } from './mfa/handlers/passkey-names.js';
import { confirmPasskeyRegistration, removePasskey, startPasskeyRegistration } from './mfa/handlers/passkeys.js';
import { passwordlessForm, passwordlessSignIn } from './mfa/handlers/passwordless.js';
import { secondFactor, secondFactorForm, secondFactorPasskey } from './mfa/handlers/second-factor.js';
import {
  confirmTotpEnrolment,
  regenerateBackupCodes,
  removeTotp,
  securityOverview,
  startTotpEnrolment,
} from './mfa/handlers/security.js';
import { endSessionEndpoint } from './oidc/handlers/logout.js';
import { userInfoEndpoint } from './oidc/handlers/userinfo.js';
import {
  deleteRegistration,
  readRegistration,
  registrationEndpoint,
  updateRegistration,
} from './clients/handlers/register.js';
import { jwks, oauthMetadata, openIdMetadata } from './discovery/handlers/discovery.js';
import type { Env } from './env.js';
import {
  createClient,
  deleteClient,
  disableClient,
  enableClient,
  listClients,
  readClient,
  rotateClientSecret,
  updateClient,
} from './clients/handlers/admin-clients.js';
import { listKeys, maintainKeys, rotateKeys } from './keys/handlers/admin-keys.js';
import { type AuthServices, buildServices } from './services.js';
import { introspectionEndpoint } from './tokens/handlers/introspect.js';
import { revocationEndpoint } from './tokens/handlers/revoke.js';
import { tokenEndpoint } from './tokens/handlers/token.js';

export const { app, servicesFor } = createServiceApp<Env, AuthServices>({
  service: 'auth',
  // Errors on these paths are RFC 6749 §5.2 JSON (RFC 7591 errors share that shape). The RFC 7592 paths carry a
  // client id, so their handlers throw OAuthError directly.
  oauthPaths: ['/oauth/token', '/oauth/introspect', '/oauth/revoke', '/oauth/register', '/oauth/userinfo'],
  buildServices,
  // Issuing tokens needs no Postgres once the isolate holds a signing key (and its clients cached): the Worker then
  // stays ready without it, reporting it degraded; registration and key administration answer 503 meanwhile.
  readiness: (services, now) => (services.keys.canSign(now) ? ['postgres'] : []),
});

app.get('/.well-known/oauth-authorization-server', oauthMetadata);
app.get('/.well-known/openid-configuration', openIdMetadata);
app.get('/.well-known/jwks.json', jwks);

app.post('/oauth/token', tokenEndpoint);
app.post('/oauth/introspect', introspectionEndpoint);
app.post('/oauth/revoke', revocationEndpoint);
app.post('/oauth/register', registrationEndpoint);
app.get('/oauth/register/:client_id', readRegistration);
app.put('/oauth/register/:client_id', updateRegistration);
app.delete('/oauth/register/:client_id', deleteRegistration);

// OpenID Connect: the authorization endpoint, the hosted login's pages, UserInfo and RP-initiated logout.
app.get('/oauth/authorize', authorizationEndpoint);
app.post('/oauth/authorize', authorizationEndpoint);
app.get('/login', signInForm);
app.post('/login', signIn);
app.get('/login/select', selectAccountForm);
app.post('/login/select', selectAccount);
app.get('/login/mfa', secondFactorForm);
app.post('/login/mfa', secondFactor);
app.post('/login/mfa/passkey', secondFactorPasskey);
app.get('/login/passkey', passwordlessForm);
app.post('/login/passkey', passwordlessSignIn);
app.get('/signup', signUpForm);
app.post('/signup', signUp);
app.get('/consent', consentForm);
app.post('/consent', consentDecision);
app.get('/sessions', sessionsList);
app.post('/sessions', revokeSession);
app.get('/apps', appsList);
app.post('/apps', revokeApp);
// "Your security": second factors of the signed-in user (mfa/).
app.get('/account/security', securityOverview);
app.post('/account/security/totp', startTotpEnrolment);
app.post('/account/security/totp/confirm', confirmTotpEnrolment);
app.post('/account/security/totp/remove', removeTotp);
app.post('/account/security/backup-codes', regenerateBackupCodes);
app.post('/account/security/passkeys', startPasskeyRegistration);
app.post('/account/security/passkeys/confirm', confirmPasskeyRegistration);
app.post('/account/security/passkeys/rename', renamePasskey);
app.post('/account/security/passkeys/remove', removePasskey);
app.get('/oauth/userinfo', userInfoEndpoint);
app.post('/oauth/userinfo', userInfoEndpoint);
app.get('/oauth/logout', endSessionEndpoint);
app.post('/oauth/logout', endSessionEndpoint);

app.get('/admin/keys', listKeys);
app.post('/admin/keys/rotate', rotateKeys);
app.post('/admin/keys/maintain', maintainKeys);
app.get('/admin/users', listUsers);
app.post('/admin/users', createUser);
app.get('/admin/users/:id', readUser);
app.post('/admin/users/:id/disable', setUserStatus('disabled'));
app.post('/admin/users/:id/enable', setUserStatus('active'));
app.post('/admin/users/:id/password-reset', resetUserPassword);
app.get('/admin/users/:id/sessions', listSessionsOfUser);
app.post('/admin/users/:id/sessions/revoke', revokeUserSessions);
app.delete('/admin/users/:id/sessions/:handle', revokeSessionOfUser);
app.delete('/admin/users/:id/mfa/:factor', removeUserFactors);
app.post('/admin/users/:id/refresh-tokens/revoke', revokeUserRefreshTokens);
app.get('/password-reset', passwordResetForm);
app.post('/password-reset', redeemPasswordReset);

// Client administration for the admin Worker's /v1/clients (the operator's credential, forwarded).
app.get('/admin/clients', listClients);
app.post('/admin/clients', createClient);
app.get('/admin/clients/:client_id', readClient);
app.patch('/admin/clients/:client_id', updateClient);
app.delete('/admin/clients/:client_id', deleteClient);
app.post('/admin/clients/:client_id/secret', rotateClientSecret);
app.post('/admin/clients/:client_id/disable', disableClient);
app.post('/admin/clients/:client_id/enable', enableClient);
