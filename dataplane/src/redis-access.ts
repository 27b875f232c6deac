/**
 * Decides whether a client of the REST bridge may run a command: the grant of the token it presented
 * (redis-grants.ts), applied to the keys the command names (redis-command-keys.ts). Pure; the bridge calls it for
 * every command, including each one inside a pipeline or a transaction.
 *
 * Refusals read like Redis's own ACL errors (NOPERM ...) so that clients report them the same way.
 */
import { createHash } from 'node:crypto';
import { COMMAND_RULES, isBlocking, keysOf, UnparsableCommand } from './redis-command-keys.js';
import type { RedisGrant, RedisScript } from './redis-grants.js';

export type CommandContext = 'shared' | 'transaction';

export interface CompiledGrant {
  client: string;
  commands: ReadonlySet<string>;
  exactKeys: ReadonlySet<string>;
  keyPrefixes: readonly string[];
  scripts: ReadonlyMap<string, RedisScript>;
}

const GLOB = /[*?[\]\\]/;

/**
 * Resolves a grant against the deployment's key prefix and checks it is one the bridge can enforce. Throws on a
 * grant naming a command without a key rule, a key pattern with glob characters other than a trailing `*`, or
 * scripts without EVAL/EVALSHA (and the reverse).
 */
export function compileGrant(client: string, grant: RedisGrant, keyPrefix: string): CompiledGrant {
  if (GLOB.test(keyPrefix)) throw new Error(`the Redis key prefix "${keyPrefix}" must not contain glob characters`);
  const commands = new Set<string>();
  for (const c of grant.commands) {
    const name = c.toUpperCase();
    if (!COMMAND_RULES[name]) throw new Error(`grant ${client}: '${name}' cannot be granted over REST (no key rule)`);
    commands.add(name);
  }
  const exactKeys = new Set<string>();
  const keyPrefixes: string[] = [];
  for (const pattern of grant.keys) {
    const literal = pattern.endsWith('*') ? pattern.slice(0, -1) : pattern;
    // A bare `*` is every key under the prefix, so only with a prefix: without one it would be the whole database.
    if (GLOB.test(literal) || (literal === '' && (pattern !== '*' || keyPrefix === ''))) {
      throw new Error(`grant ${client}: key pattern "${pattern}" must be a name or a non-empty prefix ending in *`);
    }
    if (pattern.endsWith('*')) keyPrefixes.push(keyPrefix + literal);
    else exactKeys.add(keyPrefix + literal);
  }
  const scripts = new Map((grant.scripts ?? []).map((s) => [s.sha1.toLowerCase(), s]));
  const evaluates = commands.has('EVAL') || commands.has('EVALSHA');
  if (evaluates !== scripts.size > 0) {
    throw new Error(`grant ${client}: EVAL/EVALSHA and registered scripts go together`);
  }
  return { client, commands, exactKeys, keyPrefixes, scripts };
}

function keyAllowed(grant: CompiledGrant, key: string): boolean {
  return grant.exactKeys.has(key) || grant.keyPrefixes.some((p) => key.startsWith(p));
}

function shown(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}...` : text;
}

/** An error message ("NOPERM ..." or "ERR ...") when `args` must not be forwarded for this grant, otherwise null. */
export function refusalFor(grant: CompiledGrant, args: readonly string[], context: CommandContext): string | null {
  const name = (args[0] ?? '').toUpperCase();
  const rule = COMMAND_RULES[name];
  if (!rule || !grant.commands.has(name)) {
    return `NOPERM the ${grant.client} token may not run the '${shown(name.toLowerCase())}' command`;
  }
  let keys: string[];
  try {
    keys = keysOf(rule.keys, args);
  } catch (err) {
    if (err instanceof UnparsableCommand) return err.message;
    throw err;
  }
  for (const key of keys) {
    if (!keyAllowed(grant, key)) return `NOPERM the ${grant.client} token may not access the key '${shown(key)}'`;
  }
  if (name === 'EVAL' || name === 'EVALSHA') {
    const sha1 =
      name === 'EVAL'
        ? createHash('sha1')
            .update(args[1] ?? '', 'utf8')
            .digest('hex')
        : (args[1] ?? '').toLowerCase();
    const script = grant.scripts.get(sha1);
    if (!script) return `NOPERM the ${grant.client} token may not run the script ${shown(sha1)} (not registered)`;
    if (keys.length !== script.keys) {
      return `NOPERM the script ${sha1} takes ${script.keys} key(s), not ${keys.length}`;
    }
  }
  if (rule.keys.kind === 'scan') {
    const problem = scanRefusal(grant, args);
    if (problem) return problem;
  }
  if (context === 'shared' && isBlocking(rule, args)) {
    return `ERR blocking '${name.toLowerCase()}' is not supported over REST: use the non-blocking form`;
  }
  return null;
}

/**
 * SCAN names no key, so it may only look where the grant may: its MATCH pattern must start with literal text
 * inside one of the grant's key prefixes (or be exactly one of its keys).
 */
function scanRefusal(grant: CompiledGrant, args: readonly string[]): string | null {
  let match: string | undefined;
  for (let i = 2; i < args.length; i += 2) {
    const option = (args[i] ?? '').toUpperCase();
    if (!['MATCH', 'COUNT', 'TYPE'].includes(option) || i + 1 >= args.length) return 'ERR syntax error in scan';
    if (option === 'MATCH') match = args[i + 1];
  }
  if (match === undefined) return `NOPERM the ${grant.client} token may only SCAN with a MATCH pattern inside its keys`;
  const glob = match.search(GLOB);
  const literal = glob < 0 ? match : match.slice(0, glob);
  const inside = glob < 0 ? keyAllowed(grant, literal) : grant.keyPrefixes.some((p) => literal.startsWith(p));
  return inside ? null : `NOPERM the ${grant.client} token may not SCAN '${shown(match)}'`;
}

/**
 * Tokens to grants. The presented token is looked up by its SHA-256, so the lookup's timing says nothing about
 * the stored tokens (which are long random values).
 */
export class TokenGrants {
  private readonly byHash = new Map<string, CompiledGrant>();

  constructor(clients: readonly { name: string; token: string; grant: RedisGrant }[], keyPrefix: string) {
    if (clients.length === 0) throw new Error('the Redis REST bridge needs at least one client token');
    for (const c of clients) {
      if (c.token.length < 16) throw new Error(`the ${c.name} token must be at least 16 characters`);
      const hash = sha256(c.token);
      if (this.byHash.has(hash)) throw new Error(`the ${c.name} token is also another client's token`);
      this.byHash.set(hash, compileGrant(c.name, c.grant, keyPrefix));
    }
  }

  /** The grant for an `Authorization: Bearer` header, or null. */
  forHeader(header: string | undefined): CompiledGrant | null {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
    return match ? (this.byHash.get(sha256(match[1] as string)) ?? null) : null;
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
