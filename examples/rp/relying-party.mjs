// A small OpenID Connect relying party (a server-side web app) built with panva's openid-client 6: discovery,
// the authorization code flow with PKCE S256, state and nonce, ID token validation (signature included, against
// the provider's JWKS), a UserInfo call, and RP-initiated logout through the end_session_endpoint.
//
// It keeps everything a real RP must keep server-side (the PKCE verifier, state, nonce, tokens) in memory, keyed
// by random ids held in HttpOnly cookies of its own. Cookies are per host, not per port, so on 127.0.0.1 they
// share a jar with the provider's: the names here start with `rp-` so they never shadow the provider's.
//
// Routes: GET / (who is signed in), GET /login, GET /callback, GET /logout, GET /logged-out.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import * as oidc from 'openid-client';

const SCOPE = 'openid profile email';
/** An unfinished sign-in (the user is at the provider) is forgotten after this long. */
const PENDING_TTL_MS = 10 * 60_000;
const TX_COOKIE = 'rp-tx';
const SESSION_COOKIE = 'rp-session';

const escapeHtml = (value) =>
  String(value).replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch],
  );

function page(title, body, status = 200) {
  return {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
      'cache-control': 'no-store',
    },
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
pre{background:#f4f4f4;padding:.75rem;overflow-x:auto}a.button{display:inline-block;padding:.5rem 1rem;background:#1a56db;color:#fff;text-decoration:none;border-radius:4px}</style>
</head><body><main>${body}</main></body></html>`,
  };
}

function redirect(location, cookies = []) {
  return { status: 303, headers: { location, 'cache-control': 'no-store' }, cookies, body: '' };
}

function readCookies(header) {
  const out = new Map();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return out;
}

const cookie = (name, value, maxAgeSeconds) =>
  `${name}=${value}; Path=/; HttpOnly; SameSite=Lax${maxAgeSeconds === undefined ? '' : `; Max-Age=${maxAgeSeconds}`}`;

/**
 * @param {{ issuer: string | URL, clientId: string, clientSecret?: string, baseUrl: string | URL,
 *   scope?: string, log?: (msg: string) => void }} options
 *   baseUrl: where this RP is reached (its redirect URI is `${baseUrl}/callback`, its post-logout redirect URI
 *   `${baseUrl}/logged-out`). Without a client secret the RP is a public client (token_endpoint_auth_method none).
 */
export async function createRelyingParty(options) {
  const issuer = new URL(options.issuer);
  const base = new URL(options.baseUrl);
  const redirectUri = new URL('/callback', base).href;
  const postLogoutRedirectUri = new URL('/logged-out', base).href;
  const scope = options.scope ?? SCOPE;
  const log = options.log ?? (() => {});
  const clientAuth = options.clientSecret ? oidc.ClientSecretBasic(options.clientSecret) : oidc.None();
  const execute = [oidc.enableNonRepudiationChecks];
  // Plain http is accepted for a loopback provider only (local development).
  if (issuer.protocol === 'http:' && ['127.0.0.1', '[::1]', 'localhost'].includes(issuer.hostname)) {
    execute.push(oidc.allowInsecureRequests);
  }
  // OpenID Connect Discovery: every endpoint below comes from the provider's metadata.
  const config = await oidc.discovery(
    issuer,
    options.clientId,
    { redirect_uris: [redirectUri], response_types: ['code'] },
    clientAuth,
    { execute },
  );
  const metadata = config.serverMetadata();
  if (!metadata.supportsPKCE('S256')) throw new Error('the provider does not advertise PKCE S256');

  /** state → { verifier, nonce, expires }, looked up through the rp-tx cookie. */
  const pending = new Map();
  /** session id → { claims, userinfo, idToken, accessToken }. */
  const sessions = new Map();
  /** post-logout state → true: the state the RP sent with its logout request, checked on return. */
  const logouts = new Map();

  function sweep(now) {
    for (const [k, v] of pending) if (v.expires <= now) pending.delete(k);
    for (const [k, v] of logouts) if (v <= now) logouts.delete(k);
  }

  async function login() {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    sweep(Date.now());
    pending.set(state, { verifier, nonce, expires: Date.now() + PENDING_TTL_MS });
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return redirect(url.href, [cookie(TX_COOKIE, state, PENDING_TTL_MS / 1000)]);
  }

  async function callback(currentUrl, cookies) {
    const state = cookies.get(TX_COOKIE);
    const tx = state === undefined ? undefined : pending.get(state);
    if (!tx || tx.expires <= Date.now()) {
      return page('Sign-in failed', '<h1>Sign-in failed</h1><p>No sign-in is in progress in this browser.</p>', 400);
    }
    // One attempt per transaction: a replayed callback finds nothing.
    pending.delete(state);
    let tokens;
    try {
      // Checks the authorization response (state, RFC 9207 iss, error), redeems the code with the PKCE verifier,
      // and validates the ID token: signature against the JWKS, iss, aud, azp, exp, iat, nonce.
      tokens = await oidc.authorizationCodeGrant(config, currentUrl, {
        pkceCodeVerifier: tx.verifier,
        expectedState: state,
        expectedNonce: tx.nonce,
        idTokenExpected: true,
      });
    } catch (err) {
      log(`callback: ${err.name} ${err.code ?? ''} ${err.message}`);
      const detail = err.error
        ? `${err.error}${err.error_description ? `: ${err.error_description}` : ''}`
        : err.message;
      return page('Sign-in failed', `<h1>Sign-in failed</h1><p>${escapeHtml(detail)}</p>`, 400);
    }
    const claims = tokens.claims();
    // UserInfo, bound to the ID token's subject (a different sub is refused).
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    const sid = randomBytes(32).toString('base64url');
    sessions.set(sid, { claims, userinfo, idToken: tokens.id_token, accessToken: tokens.access_token });
    log(`signed in: sub ${claims.sub}`);
    return redirect('/', [cookie(TX_COOKIE, '', 0), cookie(SESSION_COOKIE, sid)]);
  }

  function home(cookies) {
    const session = sessions.get(cookies.get(SESSION_COOKIE) ?? '');
    if (!session) {
      return page(
        'Sample relying party',
        `<h1>Sample relying party</h1><p>Not signed in.</p><p><a class="button" href="/login">Sign in with ${escapeHtml(issuer.host)}</a></p>`,
      );
    }
    const { claims, userinfo } = session;
    const who = userinfo.name || userinfo.email || claims.sub;
    return page(
      'Signed in',
      `<h1>Signed in as <span id="who">${escapeHtml(who)}</span></h1>
<p>Subject <code id="sub">${escapeHtml(claims.sub)}</code> at <code>${escapeHtml(claims.iss)}</code>.</p>
<h2>ID token claims (validated)</h2><pre id="id-token-claims">${escapeHtml(JSON.stringify(claims, null, 2))}</pre>
<h2>UserInfo</h2><pre id="userinfo">${escapeHtml(JSON.stringify(userinfo, null, 2))}</pre>
<p><a class="button" href="/logout">Sign out</a></p>`,
    );
  }

  function logout(cookies) {
    const sid = cookies.get(SESSION_COOKIE) ?? '';
    const session = sessions.get(sid);
    sessions.delete(sid);
    const clear = [cookie(SESSION_COOKIE, '', 0)];
    if (!session || !metadata.end_session_endpoint) return redirect('/', clear);
    const state = oidc.randomState();
    sweep(Date.now());
    logouts.set(state, Date.now() + PENDING_TTL_MS);
    // RP-Initiated Logout 1.0: the provider ends its session and sends the browser back here with the state.
    const url = oidc.buildEndSessionUrl(config, {
      id_token_hint: session.idToken,
      post_logout_redirect_uri: postLogoutRedirectUri,
      state,
    });
    return redirect(url.href, clear);
  }

  function loggedOut(url) {
    const state = url.searchParams.get('state');
    const known = state !== null && logouts.has(state);
    if (known) logouts.delete(state);
    return page(
      'Signed out',
      `<h1>Signed out</h1><p id="logout-state">${known ? 'Signed out at the provider too.' : 'Unexpected logout response (unknown state).'}</p><p><a href="/">Home</a></p>`,
      known ? 200 : 400,
    );
  }

  async function route(req) {
    const url = new URL(req.url ?? '/', base);
    const cookies = readCookies(req.headers.cookie);
    if (req.method !== 'GET' && req.method !== 'HEAD') return page('Not allowed', '<h1>Method not allowed</h1>', 405);
    switch (url.pathname) {
      case '/':
        return home(cookies);
      case '/login':
        return login();
      case '/callback':
        return callback(url, cookies);
      case '/logout':
        return logout(cookies);
      case '/logged-out':
        return loggedOut(url);
      default:
        return page('Not found', '<h1>Not found</h1>', 404);
    }
  }

  async function handle(req, res) {
    let answer;
    try {
      answer = await route(req);
    } catch (err) {
      log(`error: ${err.stack ?? err}`);
      answer = page('Error', `<h1>Something went wrong</h1><p>${escapeHtml(err.message)}</p>`, 502);
    }
    res.writeHead(answer.status, {
      ...answer.headers,
      ...(answer.cookies?.length ? { 'set-cookie': answer.cookies } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : answer.body);
  }

  return {
    config,
    redirectUri,
    postLogoutRedirectUri,
    handle,
    /** Starts listening; resolves to the server. */
    listen(port = Number(base.port || 80), host = base.hostname.replace(/^\[|\]$/g, '')) {
      const server = createServer((req, res) => void handle(req, res));
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve(server));
      });
    },
  };
}
