// Types for examples/rp/relying-party.mjs, so TypeScript tests can import it.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Configuration } from 'openid-client';

export interface RelyingPartyOptions {
  issuer: string | URL;
  clientId: string;
  /** Omitted: a public client (token_endpoint_auth_method none). */
  clientSecret?: string;
  /** Where the RP is reached; redirect URI `${baseUrl}/callback`, post-logout `${baseUrl}/logged-out`. */
  baseUrl: string | URL;
  scope?: string;
  log?: (msg: string) => void;
}

export interface RelyingParty {
  config: Configuration;
  redirectUri: string;
  postLogoutRedirectUri: string;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  listen(port?: number, host?: string): Promise<Server>;
}

export function createRelyingParty(options: RelyingPartyOptions): Promise<RelyingParty>;
