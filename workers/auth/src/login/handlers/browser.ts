/**
 * What the hosted pages share: rendering a page with its CSP and cookies, reading a form post (bounded, urlencoded),
 * the CSRF and origin checks every post passes, and the error page.
 */
import { readBodyText } from '../../../../../shared/body.js';
import { clientAddress } from '../../../../../shared/client-address.js';
import { logError } from '../../../../../shared/dependencies.js';
import { dependencyUnavailable } from '../../../../../shared/errors.js';
import { bucketKey, ipBucketId, keyPart } from '../../../../../shared/rate-limit/domain/keys.js';
import { baseUrl } from '../../env.js';
import type { AuthContext } from '../../services.js';
import { CSRF_FIELD, type CsrfForm, checkFormOrigin, csrfToken, verifyCsrfToken } from '../domain/csrf.js';
import { errorPage } from '../pages/error.js';
import { newNonce, type RenderedPage } from '../pages/layout.js';

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export function addressOf(c: AuthContext): string {
  return clientAddress(c.req.raw, c.get('services').config.TRUST_PROXY_HEADERS);
}

/** A rendered page as the response, with `cookies` as Set-Cookie headers. */
export function sendPage(page: RenderedPage, cookies: readonly string[] = []): Response {
  const headers = new Headers(page.headers);
  for (const cookie of cookies) headers.append('set-cookie', cookie);
  return new Response(page.body, { status: page.status, headers });
}

/** 303 to a path of ours (after a form post, so a reload does not post again). */
export function seeOther(location: string, cookies: readonly string[] = []): Response {
  const headers = new Headers({ location, 'cache-control': 'no-store' });
  for (const cookie of cookies) headers.append('set-cookie', cookie);
  return new Response(null, { status: 303, headers });
}

export function showError(
  status: number,
  title: string,
  message: string,
  detail?: string,
  cookies: readonly string[] = [],
): Response {
  return sendPage(errorPage({ nonce: newNonce(), status, title, message, ...(detail ? { detail } : {}) }), cookies);
}

/** The hosted pages' forms are small; anything beyond this is not one of ours. */
const MAX_FORM_BYTES = 16 * 1024;

/** The form's fields (first value of each); a body that is not a urlencoded form reads as empty. */
export async function readPageForm(c: AuthContext): Promise<Map<string, string>> {
  const type = c.req.header('content-type') ?? '';
  const fields = new Map<string, string>();
  if (!type.toLowerCase().startsWith('application/x-www-form-urlencoded')) return fields;
  const limit = Math.min(MAX_FORM_BYTES, c.get('services').config.MAX_BODY_BYTES);
  for (const [k, v] of new URLSearchParams(await readBodyText(c.req.raw, limit))) {
    if (!fields.has(k)) fields.set(k, v);
  }
  return fields;
}

/**
 * Takes a token from the address's sign-in bucket (shared/rate-limit): false when the address has posted too many
 * sign-in or sign-up forms. Checked before any password work, so a flood costs no scrypt.
 */
export async function takeLoginAttempt(c: AuthContext, ip: string): Promise<boolean> {
  const services = c.get('services');
  let part = keyPart(ipBucketId(ip));
  if (typeof part !== 'string') part = await part;
  const outcome = await Promise.resolve(
    services.rateLimits.limiter.take(
      [
        {
          key: bucketKey('login', 'ip', part),
          params: {
            capacity: services.config.LOGIN_RATE_LIMIT_IP_CAPACITY,
            refillPerSecond: services.config.LOGIN_RATE_LIMIT_IP_REFILL_PER_SECOND,
          },
        },
      ],
      c.executionCtx,
    ),
  ).catch((err: unknown) => {
    // Fail closed, like every limited endpoint: no limiter, no password checks.
    logError('auth', 'rate limiter unavailable', err);
    throw dependencyUnavailable('the rate limiter is unavailable; retry shortly');
  });
  return outcome.allowed;
}

export async function csrfFor(c: AuthContext, form: CsrfForm, binding: string): Promise<string> {
  return csrfToken((await c.get('services').login.keys()).csrf, form, binding);
}

/** True when the post comes from our own page (Origin / Sec-Fetch-Site) and carries its CSRF token. */
export async function formIsGenuine(
  c: AuthContext,
  fields: ReadonlyMap<string, string>,
  form: CsrfForm,
  binding: string,
): Promise<boolean> {
  const origin = checkFormOrigin(
    { origin: c.req.header('origin') ?? null, secFetchSite: c.req.header('sec-fetch-site') ?? null },
    baseUrl(c.get('services').config),
  );
  if (origin !== 'ok') return false;
  return verifyCsrfToken((await c.get('services').login.keys()).csrf, form, binding, fields.get(CSRF_FIELD));
}

/** The posted form's fields when it is genuine (formIsGenuine); undefined when it is not. */
export async function readGenuineForm(
  c: AuthContext,
  form: CsrfForm,
  binding: string,
): Promise<Map<string, string> | undefined> {
  const fields = await readPageForm(c);
  return (await formIsGenuine(c, fields, form, binding)) ? fields : undefined;
}

export function refusedForm(): Response {
  return showError(
    403,
    'This form has expired',
    'The page you submitted is no longer valid. Go back to the application and start again.',
    'csrf_check_failed',
  );
}
