/**
 * `POST /account/security/passkeys/rename`: the signed-in user renames one of their passkeys, so several can be told
 * apart (and the right one removed). Needs the browser's own session and its CSRF token; no recent second factor, as
 * a name grants nothing. Only the user's own passkeys match.
 */
import type { AuthContext } from '../../services.js';
import { passkeyName } from '../domain/relying-party.js';
import { renderSecurity, securityPost } from './security.js';

export async function renamePasskey(c: AuthContext): Promise<Response> {
  const who = await securityPost(c);
  if (who instanceof Response) return who;
  const name = passkeyName(who.fields.get('name'));
  const id = (who.fields.get('id') ?? '').slice(0, 512);
  if (!(await c.get('services').mfa.store.renamePasskey(who.user.id, id, name))) {
    return renderSecurity(c, who.current, who.user.email, { error: 'That passkey no longer exists.', status: 404 });
  }
  return renderSecurity(c, who.current, who.user.email, { notice: `Passkey renamed to “${name}”.` });
}
