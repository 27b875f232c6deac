#!/usr/bin/env node
// `esp`: the platform's admin CLI. It talks to the admin API (the admin Worker's /v1, see /openapi.json) with an
// admin credential or an operator API token, prints tables for people and JSON (--json) for scripts, and exits
// non-zero on failure: 1 the API refused (its RFC 9457 problem on stderr), 2 usage, 3 not reachable / not logged in.
// This file parses argv, dispatches to one module per command group in ./esp/, and maps failures to exit codes.
// Plain Node ESM, no dependencies; relative imports resolve from this file's URL, so the npm `bin` link works.
import { clients } from './esp/clients.mjs';
import { connection } from './esp/config.mjs';
import { ApiError, UsageError, Unreachable } from './esp/errors.mjs';
import { one, parseArgs } from './esp/input.mjs';
import { keys } from './esp/keys.mjs';
import { alerts, audit } from './esp/monitoring.mjs';
import { writer } from './esp/output.mjs';
import { policy } from './esp/policy.mjs';
import { login, logout } from './esp/session.mjs';
import { tokens } from './esp/tokens.mjs';
import { users } from './esp/users.mjs';

const USAGE = `usage: esp <command> [options]

  login --url <admin-url> [--token <token>]   store the admin URL and a credential (token: --token, $ESP_TOKEN or stdin)
  logout                                      forget the stored credential
  clients [--search <s>] [--status active|disabled|deleted] [--limit <n>]
  clients get <client_id>
  clients create --name <name> [--scope "<s> ..."] [--resource <uri>]... [--first-party] [--rate-limit <capacity>/<refill per s>]
  clients update <client_id> [--name <n>] [--scope "<s>"] [--resource <uri>]... [--first-party true|false] [--rate-limit <c>/<r>|none]
  clients rotate-secret|disable|enable|delete <client_id>
  keys                                        signing keys and their status
  keys rotate [--emergency --reason <why>]
  policy list | policy show <version>
  policy publish <policies.cedar> [--schema <file>] [--comment <text>] [--activate]
  policy activate <version>                   (an older version: roll back)
  policy diff <from> <to>
  tokens | tokens create --name <n> --scope <action>[,<action>...] --ttl <seconds> [--role <r>]... | tokens revoke <id>
  users [--search <s>] [--status active|disabled] [--limit <n>]
  users get <user_id> | users create --email <e> [--name <n>] (password: $ESP_USER_PASSWORD or stdin)
  users disable|enable|reset-password <user_id>
  users sessions <user_id> | users revoke-session <user_id> <handle> | users revoke-sessions <user_id>
  users remove-mfa <user_id> totp|backup-codes|passkeys|all [--name <passkey>] | users revoke-refresh-tokens <user_id>
  alerts [--status open,acknowledged,resolved] [--severity <s>] [--detector <d>] [--limit <n>]
  alerts get|acknowledge|resolve <alert_id>
  audit [--type <t>] [--actor <a>] [--client-id <c>] [--user-id <u>] [--outcome <o>] [--since <t>] [--limit <n>]

options: --json (machine-readable output)  --url <admin-url>  --token <token>  (or $ESP_URL, $ESP_TOKEN)
config:  $ESP_CONFIG, default ~/.config/esp/config.json (mode 0600)`;

/** Commands that talk to the API with the stored (or given) connection. */
const COMMANDS = { clients, keys, policy, policies: policy, tokens, users, alerts, audit };

async function main(argv) {
  const args = parseArgs(argv);
  const [command, ...rest] = args.positional;
  args.positional = rest;
  const out = writer(one(args.flags, 'json') === true);
  if (command === undefined || command === 'help' || one(args.flags, 'help')) {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined && !one(args.flags, 'help') ? 2 : 0;
  }
  if (command === 'login') await login(args, out);
  else if (command === 'logout') logout(out);
  else if (Object.hasOwn(COMMANDS, command)) await COMMANDS[command](connection(args.flags), args, out);
  else throw new UsageError(`unknown command "${command}"`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    const json = process.argv.includes('--json');
    if (err instanceof ApiError) {
      if (json) process.stderr.write(`${JSON.stringify(err.problem ?? { status: err.status })}\n`);
      else {
        process.stderr.write(`esp: ${err.status} ${err.problem?.title ?? ''}: ${err.message}\n`);
        for (const e of err.problem?.errors ?? [])
          process.stderr.write(`  ${e.path ? `${e.path}: ` : ''}${e.message}\n`);
      }
      process.exit(1);
    }
    if (err instanceof UsageError) {
      process.stderr.write(`esp: ${err.message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    if (err instanceof Unreachable) {
      process.stderr.write(`esp: ${err.message}\n`);
      process.exit(3);
    }
    process.stderr.write(`esp: ${err?.stack ?? err}\n`);
    process.exit(1);
  },
);
