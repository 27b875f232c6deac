/**
 * `GET|POST /oauth/authorize` (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2): validates the request
 * (../domain/authorization-request.ts) against the registered client, then parks it in a login transaction (a
 * `login` cookie naming it) and takes it as far as it goes without the user (login/handlers/flow.ts).
 *
 * An untrusted client or redirect URI gets the error page, never a redirect; other errors go back to the
 * validated redirect URI with `state` and `iss`.
 */
import { readBodyText } from '../../../../../shared/body.js';
import type { ClientRecord } from '../../clients/domain/client-store.js';
import { nowSeconds, showError } from '../../login/handlers/browser.js';
import { newLoginTransaction } from '../../login/domain/login-transaction.js';
import { parkTransaction, proceed, respondToClient, transactionCookie } from '../../login/handlers/flow.js';
import { verifyIdTokenHint } from '../../oidc/handlers/jwt.js';
import type { AuthContext } from '../../services.js';
import { parseScope } from '../../tokens/domain/scope.js';
import { type AuthorizeClient, validateAuthorizationRequest } from '../domain/authorization-request.js';
import { readAuthorizationParameters, requestedClientId } from '../domain/parameters.js';

export function authorizeClientOf(record: ClientRecord): AuthorizeClient {
  return {
    clientId: record.clientId,
    redirectUris: record.metadata.redirect_uris,
    grantTypes: record.metadata.grant_types,
    responseTypes: record.metadata.response_types,
    scopes: parseScope(record.metadata.scope),
  };
}

const MAX_AUTHORIZE_BODY = 32 * 1024;

async function requestEntries(c: AuthContext): Promise<[string, string][]> {
  if (c.req.method === 'GET') return [...new URL(c.req.url).searchParams];
  const type = (c.req.header('content-type') ?? '').toLowerCase();
  if (!type.startsWith('application/x-www-form-urlencoded')) return [];
  return [...new URLSearchParams(await readBodyText(c.req.raw, MAX_AUTHORIZE_BODY))];
}

export async function authorizationEndpoint(c: AuthContext): Promise<Response> {
  const services = c.get('services');
  const params = readAuthorizationParameters(await requestEntries(c));
  const clientId = requestedClientId(params);
  const record =
    clientId !== undefined && clientId.length <= 256 ? await services.clients.get(clientId, c.executionCtx) : null;
  const client = record?.status === 'active' ? authorizeClientOf(record) : undefined;
  const outcome = await validateAuthorizationRequest(params, client, {
    verifyIdTokenHint: async (hint, forClient) => {
      const claims = await verifyIdTokenHint(services, hint);
      if (!claims?.aud.includes(forClient)) return undefined;
      return { sub: claims.sub, ...(claims.sid ? { sid: claims.sid } : {}) };
    },
  });
  if (outcome.kind === 'error-page') {
    return showError(
      400,
      'This sign-in link is not valid',
      'The application sent you here with a request that cannot be trusted, so you were not sent back to it.',
      `${outcome.error}: ${outcome.description}`,
    );
  }
  if (outcome.kind === 'error-redirect') {
    return respondToClient(services, outcome, { error: outcome.error, error_description: outcome.description });
  }
  const tx = newLoginTransaction(outcome.request, nowSeconds());
  await parkTransaction(services, tx);
  return proceed(c, tx, undefined, [transactionCookie(services, tx)]);
}
