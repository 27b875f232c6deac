// The auth Worker's password hashing alone, as a bare workerd Worker (bundled by bench/scenarios/password-hash.mjs):
// /verify checks the right password against a stored hash, /unknown does the dummy verification an unknown account
// gets, /noop answers at once (the per-request overhead to subtract).
import { hashPassword, verifyPassword } from '../../workers/auth/src/accounts/domain/password-hash.js';

const PASSWORD = 'correct horse battery staple';
let stored: Promise<string> | undefined;

export default {
  async fetch(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (path === '/noop') return new Response('ok');
    stored ??= hashPassword(PASSWORD);
    const hash = await stored;
    if (path === '/verify') return new Response(String(await verifyPassword(PASSWORD, hash)));
    if (path === '/unknown') return new Response(String(await verifyPassword(PASSWORD, undefined)));
    return new Response('not found', { status: 404 });
  },
};
