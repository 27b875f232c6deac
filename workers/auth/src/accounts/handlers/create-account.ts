/**
 * Creating an account, as sign-up and `POST /admin/users` share it: the email rules (email.ts), the password rules
 * (password-rules.ts, NIST SP 800-63B), scrypt (password-hash.ts), then the users store.
 */
import { type NormalizedEmail, normalizeEmail } from '../domain/email.js';
import { hashPassword } from '../domain/password-hash.js';
import { checkNewPassword } from '../domain/password-rules.js';
import type { UserRecord, UserStore } from '../domain/user-store.js';

export const MAX_NAME_LENGTH = 200;

export interface AccountInput {
  email: unknown;
  password: unknown;
  name?: unknown;
  emailVerified?: boolean;
}

export type AccountProblems = { email?: string; password?: string; name?: string };

export type CreateAccountResult =
  | { ok: true; user: UserRecord; email: NormalizedEmail }
  | { ok: false; problems: AccountProblems; exists?: boolean };

/** Words an attacker tries first against this service's accounts. */
const SERVICE_WORDS = ['edge security', 'edgesecurity'];

export async function createAccount(users: UserStore, input: AccountInput): Promise<CreateAccountResult> {
  const problems: AccountProblems = {};
  const email = normalizeEmail(input.email);
  if (!email.ok) problems.email = email.problem.message;
  const name = typeof input.name === 'string' ? input.name.trim().normalize('NFC') : undefined;
  if (input.name !== undefined && input.name !== null && typeof input.name !== 'string')
    problems.name = 'Enter a name.';
  else if (name !== undefined && ([...name].length > MAX_NAME_LENGTH || /\p{Cc}/u.test(name))) {
    problems.name = `Use at most ${MAX_NAME_LENGTH} characters.`;
  }
  const password = typeof input.password === 'string' ? input.password : '';
  const passwordProblems = checkNewPassword(password, {
    email: email.ok ? email.email.address : undefined,
    words: SERVICE_WORDS,
  });
  if (passwordProblems.length > 0) problems.password = passwordProblems.map((p) => p.message).join(' ');
  if (!email.ok || Object.keys(problems).length > 0) return { ok: false, problems };

  const user = await users.create({
    email: email.email.address,
    emailKey: email.email.key,
    ...(name ? { name } : {}),
    passwordHash: await hashPassword(password),
    emailVerified: input.emailVerified === true,
  });
  if (!user)
    return { ok: false, exists: true, problems: { email: 'An account with this email address already exists.' } };
  return { ok: true, user, email: email.email };
}
