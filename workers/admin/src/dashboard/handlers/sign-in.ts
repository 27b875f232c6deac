/**
 * Sign-in: the OpenID Connect code flow with PKCE (S256) against the auth Worker, asking for the `admin` scope so
 * the policy Worker decides how strongly an operator must authenticate (domain/sign-in.ts); then a session.
 */
import { createLocalJWKSet, jwtVerify } from 'jose';
import { identityOf } from '../../../../../shared/app.js';
import { hashSecret, randomToken } from '../../../../../shared/crypto.js';
import { dependencyUnavailable } from '../../../../../shared/errors.js';
import { html } from '../../../../../shared/html.js';
import { callService, ServiceUnavailableError } from '../../../../../shared/service-client.js';
import { ADMIN_API_ACTIONS } from '../../actions.js';
import type { AdminContext } from '../../services.js';
import { operatorPrincipal } from '../../operators/domain/operator-store.js';
import {
  authenticationOf,
  checkCallback,
  DASHBOARD_SCOPES,
  decodeTransaction,
  encodeTransaction,
  grantsAdmin,
  pkceChallenge,
  TRANSACTION_SECONDS,
} from '../domain/sign-in.js';
import { dashboardPage } from '../pages/layout.js';
import { configured, type Dashboard, dashboardOrigin, isSecure, send } from './page.js';
import { cookie, encodeSession, readCookies, SESSION_COOKIE, TX_COOKIE } from './session.js';

/** The auth Worker over its binding; no answer is a 503 (never a 500). */
async function callAuth(c: AdminContext, path: string, init: RequestInit): Promise<Response> {
  try {
    return await callService(c.env.AUTH, 'auth', path, {
      ...init,
      timeoutMs: c.get('services').config.SERVICE_TIMEOUT_MS,
      identity: identityOf(c as never),
    });
  } catch (err) {
    if (err instanceof ServiceUnavailableError) throw dependencyUnavailable(err.message);
    throw err;
  }
}

export function registerSignIn(d: Dashboard): void {
  const { app, signInPage } = d;

  app.get('/dashboard/login', async (c: AdminContext) => {
    const cfg = configured(c);
    if (!cfg) return signInPage(c);
    const tx = {
      state: randomToken(),
      nonce: randomToken(),
      verifier: randomToken(32),
      expiresAt: Math.floor(Date.now() / 1000) + TRANSACTION_SECONDS,
    };
    const url = new URL(`${cfg.issuer}/oauth/authorize`);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: cfg.clientId,
      redirect_uri: `${dashboardOrigin(c)}/dashboard/callback`,
      scope: DASHBOARD_SCOPES.join(' '),
      state: tx.state,
      nonce: tx.nonce,
      code_challenge: await pkceChallenge(tx.verifier),
      code_challenge_method: 'S256',
    }).toString();
    return new Response(null, {
      status: 302,
      headers: {
        location: url.toString(),
        'set-cookie': cookie(TX_COOKIE, encodeTransaction(tx), isSecure(c), TRANSACTION_SECONDS),
        'cache-control': 'no-store',
      },
    });
  });

  app.get('/dashboard/callback', async (c: AdminContext) => {
    const cfg = configured(c);
    if (!cfg) return signInPage(c);
    const services = c.get('services');
    const params = new URL(c.req.url).searchParams;
    const tx = decodeTransaction(readCookies(c.req.header('cookie')).get(TX_COOKIE), Math.floor(Date.now() / 1000));
    const clearTx = cookie(TX_COOKIE, '', isSecure(c), 0);
    const refused = (problem: string, status = 400) => {
      const res = signInPage(c, { problem, status });
      res.headers.append('set-cookie', clearTx);
      return res;
    };
    const outcome = checkCallback(params, tx, cfg.issuer);
    if (!outcome.ok && outcome.reason === 'second_factor_missing') {
      const res = secondFactorNeeded(cfg.issuer);
      res.headers.append('set-cookie', clearTx);
      return res;
    }
    if (!outcome.ok) return refused(`Sign-in failed (${outcome.reason}). Start again.`);
    // The code for tokens, over the AUTH binding, authenticated with the dashboard's client secret.
    const enc = (v: string) => encodeURIComponent(v).replace(/%20/g, '+');
    const tokenRes = await callAuth(c, '/oauth/token', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${btoa(`${enc(cfg.clientId)}:${enc(cfg.secret)}`)}`,
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: outcome.code,
        redirect_uri: `${dashboardOrigin(c)}/dashboard/callback`,
        code_verifier: tx!.verifier,
      }).toString(),
    });
    const tokens = (await tokenRes.json().catch(() => ({}))) as {
      id_token?: string;
      access_token?: string;
      scope?: unknown;
      error?: string;
    };
    if (!tokenRes.ok || !tokens.id_token)
      return refused(`Sign-in failed at the token endpoint (${tokens.error ?? tokenRes.status}).`, 502);
    // The policy's yes to this operator's authentication: without `admin` granted, no session.
    if (!grantsAdmin(tokens.scope)) return refused('Sign-in failed: the admin scope was not granted.', 403);
    const jwksRes = await callAuth(c, '/.well-known/jwks.json', {
      method: 'GET',
    });
    let claims: { sub?: string; nonce?: unknown; email?: unknown; name?: unknown; amr?: unknown; acr?: unknown };
    try {
      const jwks = createLocalJWKSet((await jwksRes.json()) as Parameters<typeof createLocalJWKSet>[0]);
      ({ payload: claims } = await jwtVerify(tokens.id_token, jwks, { issuer: cfg.issuer, audience: cfg.clientId }));
    } catch {
      return refused('Sign-in failed: the ID token did not verify.', 502);
    }
    if (claims.nonce !== tx!.nonce || typeof claims.sub !== 'string') return refused('Sign-in failed: nonce mismatch.');
    const operator = await services.operators.findOperator(operatorPrincipal(claims.sub));
    // The email for the header, from UserInfo (the ID token carries only what the flow needs).
    const info = await callAuth(c, '/oauth/userinfo', {
      method: 'GET',
      headers: { authorization: `Bearer ${tokens.access_token ?? ''}` },
    });
    const profile = (info.ok ? await info.json().catch(() => ({})) : {}) as { sub?: unknown; email?: unknown };
    const email = profile.sub === claims.sub ? profile.email : claims.email;
    const name = typeof email === 'string' ? email : claims.sub;
    if (!operator) {
      services.events.emit(
        {
          type: 'authorization.denied',
          outcome: 'denied',
          user_id: claims.sub,
          details: { reason: 'not_an_operator', via: 'dashboard' },
        },
        c.executionCtx,
      );
      return refused(
        `${name} is not an operator: no admin credential has the principal ${operatorPrincipal(claims.sub)}.`,
        403,
      );
    }
    const token = `esp_${randomToken(32)}`;
    const tokenId = `tok_${randomToken(12)}`;
    await services.tokens.insert({
      id: tokenId,
      tokenHash: await hashSecret(token),
      name: 'dashboard session',
      principalId: operator.principalId,
      roles: operator.roles,
      scopes: [...ADMIN_API_ACTIONS],
      createdBy: operator.principalId,
      rootCredential: operator.credentialId,
      parentToken: null,
      expiresAt: Date.now() + services.config.DASHBOARD_SESSION_SECONDS * 1000,
    });
    services.events.emit(
      {
        type: 'admin.action',
        outcome: 'success',
        user_id: claims.sub,
        details: {
          actor: operator.principalId,
          credential: operator.credentialId,
          action: 'dashboard_sign_in',
          token_id: tokenId,
          ...authenticationOf(claims),
        },
      },
      c.executionCtx,
    );
    const headers = new Headers({ location: '/dashboard', 'cache-control': 'no-store' });
    headers.append('set-cookie', clearTx);
    headers.append(
      'set-cookie',
      cookie(
        SESSION_COOKIE,
        encodeSession({ token, tokenId, name }),
        isSecure(c),
        services.config.DASHBOARD_SESSION_SECONDS,
      ),
    );
    return new Response(null, { status: 303, headers });
  });
}

/** The policy wants a second factor and the operator has none: where to enrol one (signed in there already). */
function secondFactorNeeded(issuer: string): Response {
  const security = `${issuer}/account/security`;
  return send(
    dashboardPage(
      {},
      {
        title: 'Second factor needed',
        status: 403,
        body: html`<p>Operators sign in with a second factor. Set one up under <a href="${security}">${security}</a>
(you are signed in there now), then <a href="/dashboard/login">sign in again</a>.</p>`,
      },
    ),
  );
}
