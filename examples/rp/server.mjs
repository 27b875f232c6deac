#!/usr/bin/env node
// Runs the sample relying party: `node examples/rp/server.mjs` (see examples/rp/README.md).
//
//   CLIENT_ID       (required) the client registered at the provider
//   CLIENT_SECRET   its secret; omit for a public client (token_endpoint_auth_method none)
//   ISSUER          the OpenID Provider (default http://127.0.0.1:8080, the auth Worker under `npm start`)
//   RP_URL          where this RP listens (default http://127.0.0.1:3000); its redirect URI is RP_URL/callback
//                   and its post-logout redirect URI RP_URL/logged-out
import { createRelyingParty } from './relying-party.mjs';

const clientId = process.env.CLIENT_ID;
if (!clientId) {
  console.error('CLIENT_ID is required (register a client first: see examples/rp/README.md)');
  process.exit(2);
}
const rp = await createRelyingParty({
  issuer: process.env.ISSUER ?? 'http://127.0.0.1:8080',
  clientId,
  clientSecret: process.env.CLIENT_SECRET || undefined,
  baseUrl: process.env.RP_URL ?? 'http://127.0.0.1:3000',
  log: (msg) => console.log(`[rp] ${msg}`),
});
await rp.listen();
console.log(`sample relying party on ${new URL('/', process.env.RP_URL ?? 'http://127.0.0.1:3000').href}`);
console.log(`  redirect URI ${rp.redirectUri}, post-logout redirect URI ${rp.postLogoutRedirectUri}`);
