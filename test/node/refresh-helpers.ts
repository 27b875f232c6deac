/**
 * What the refresh-token black-box tests need: a user signed in through the hosted login (oidc-helpers.ts), the
 * authorization code redeemed with PKCE for the first refresh token, and the refresh_token grant itself. Everything
 * against real servers.
 */
import { authorizeUrl, Browser, completeLogin, pkce } from './oidc-helpers.js';

export interface CodeFlowClient {
  client_id: string;
  client_secret?: string;
  redirect_uri: string;
}

/** Signs `user` in at `origin` (oidc-helpers.ts), consents, and answers the authorization code with its PKCE verifier. */
export async function authorizationCode(
  origin: string,
  client: CodeFlowClient,
  user: { email: string; password: string },
  scope: string,
): Promise<{ code: string; verifier: string }> {
  const { verifier, challenge } = pkce();
  const redirect = await completeLogin(
    new Browser(origin),
    authorizeUrl(origin, {
      client_id: client.client_id,
      redirect_uri: client.redirect_uri,
      scope,
      state: 's',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }),
    user,
  );
  const code = redirect.searchParams.get('code');
  if (!code) throw new Error(`no code: ${redirect}`);
  return { code, verifier };
}

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

export interface TokenAnswer {
  status: number;
  body: Record<string, any>;
  upstream: string | null;
}

/** POST /oauth/token (or another form endpoint) as `client`: Basic for a confidential one, client_id for a public one. */
export async function tokenRequest(
  origin: string,
  client: CodeFlowClient,
  params: Record<string, string | string[]>,
  path = '/oauth/token',
): Promise<TokenAnswer> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  const body = new URLSearchParams();
  if (client.client_secret) headers.authorization = basic(client.client_id, client.client_secret);
  else body.set('client_id', client.client_id);
  for (const [k, v] of Object.entries(params)) for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
  const res = await fetch(new URL(path, origin), { method: 'POST', headers, body });
  const text = await res.text();
  let parsed: Record<string, any> = {};
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = { raw: text };
  }
  return { status: res.status, body: parsed, upstream: res.headers.get('x-upstream') };
}

/** Runs the code flow and redeems the code: the first access token and refresh token of a new family. */
export async function startFamily(
  origin: string,
  client: CodeFlowClient,
  user: { email: string; password: string },
  scope = 'openid offline_access read write',
): Promise<TokenAnswer> {
  return redeemCode(origin, client, await authorizationCode(origin, client, user, scope));
}

/** The authorization_code grant (PKCE) as `client`, at its registered redirect URI. */
export const redeemCode = (
  origin: string,
  client: CodeFlowClient,
  { code, verifier }: { code: string; verifier: string },
) =>
  tokenRequest(origin, client, {
    grant_type: 'authorization_code',
    code,
    code_verifier: verifier,
    redirect_uri: client.redirect_uri,
  });

export const refresh = (origin: string, client: CodeFlowClient, token: string, extra: Record<string, string> = {}) =>
  tokenRequest(origin, client, { grant_type: 'refresh_token', refresh_token: token, ...extra });

/** The claims of a JWT, unverified (the tests verify signatures elsewhere; here they read `rfid`). */
export function claimsOf(jwt: string): Record<string, any> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] as string, 'base64url').toString('utf8'));
}
