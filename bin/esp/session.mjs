// `esp login` / `esp logout`: check a credential against the admin API and store it, or forget it.
import { configPath, readConfig, writeConfig } from './config.mjs';
import { ApiError, UsageError } from './errors.mjs';
import { api } from './http.mjs';
import { one, readStdinLine } from './input.mjs';

export async function login(args, out) {
  const url = one(args.flags, 'url') ?? process.env.ESP_URL ?? readConfig().url;
  if (typeof url !== 'string') throw new UsageError('login needs --url <admin-url>');
  let token = one(args.flags, 'token') ?? process.env.ESP_TOKEN;
  if (typeof token !== 'string') token = await readStdinLine();
  if (!token) throw new UsageError('no token given (--token, $ESP_TOKEN or stdin)');
  const conn = { url: url.replace(/\/+$/, ''), token };
  // Any admin route tells a valid credential (200, or 403 when its role or scopes lack the action) from an
  // invalid one (401).
  try {
    await api(conn, 'GET', '/v1/clients?limit=1');
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 403)) throw err;
  }
  writeConfig({ url: conn.url, token });
  return out.json
    ? out({ url: conn.url, logged_in: true })
    : out(`logged in to ${conn.url} (credential stored in ${configPath()})`);
}

export function logout(out) {
  const config = readConfig();
  delete config.token;
  writeConfig(config);
  out(out.json ? { logged_in: false } : 'logged out');
}
