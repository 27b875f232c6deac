// The credentials store: the admin URL and credential `esp login` keeps in $ESP_CONFIG (default
// ~/.config/esp/config.json, mode 0600), and the connection a command uses (flags, then env, then the store).
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { UsageError, Unreachable } from './errors.mjs';
import { one } from './input.mjs';

export function configPath() {
  return process.env.ESP_CONFIG || join(homedir(), '.config', 'esp', 'config.json');
}

export function readConfig() {
  const path = configPath();
  if (!existsSync(path)) return {};
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new UsageError(`${path} is not valid JSON; run esp login again`);
  }
}

export function writeConfig(config) {
  const path = configPath();
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
}

export function connection(flags) {
  const config = readConfig();
  const url = one(flags, 'url') ?? process.env.ESP_URL ?? config.url;
  const token = one(flags, 'token') ?? process.env.ESP_TOKEN ?? config.token;
  if (!url || !token)
    throw new Unreachable('not logged in: run `esp login --url <admin-url>` (or set ESP_URL and ESP_TOKEN)');
  return { url: String(url).replace(/\/+$/, ''), token: String(token) };
}
