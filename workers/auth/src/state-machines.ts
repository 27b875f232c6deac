/**
 * The keyed-state machines the auth Worker hosts (its StateObject class in index.ts; on Redis, the same machines by
 * name). Adding one here registers it on every backend.
 */
import type { AnyMachine } from '../../../shared/state/machine.js';
import { passwordResets } from './accounts/domain/password-reset.js';
import { authorizationCodes } from './authorize/domain/code-machine.js';
import { LOGIN_MACHINES } from './login/domain/login-state.js';
import { MFA_MACHINES } from './mfa/domain/mfa-state.js';
import { refreshFamilies } from './refresh/domain/refresh-family.js';
import { userRefreshFamilies } from './refresh/domain/user-families.js';

export const AUTH_MACHINES: readonly AnyMachine[] = [
  authorizationCodes,
  ...LOGIN_MACHINES,
  refreshFamilies,
  userRefreshFamilies,
  ...MFA_MACHINES,
  passwordResets,
];
