// What the operator gives the CLI: argv (positional arguments and flags) and, for secrets, stdin.
import { UsageError } from './errors.mjs';

const BOOLEAN = new Set(['json', 'activate', 'emergency', 'help']);

/** argv → { positional, flags } ; flags repeatable (arrays), `--x` alone is true. */
export function parseArgs(argv) {
  const positional = [];
  const flags = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    let [name, value] = arg.slice(2).split(/=(.*)/s, 2);
    if (value === undefined) {
      const next = argv[i + 1];
      const takesValue = !BOOLEAN.has(name) && next !== undefined && !next.startsWith('--');
      // --first-party alone means true (create); with a value (update) it is that value.
      if (name === 'first-party' && (next === undefined || !['true', 'false'].includes(next))) value = 'true';
      else if (takesValue) value = argv[++i];
      else value = true;
    }
    if (!flags[name]) flags[name] = [];
    flags[name].push(value);
  }
  return { positional, flags };
}

/** The last value of a repeatable flag (the one that wins), or undefined. */
export const one = (flags, name) => {
  const v = flags[name];
  return v === undefined ? undefined : v[v.length - 1];
};

/** positional[index], or a usage error naming what is missing. */
export function need(positional, index, what) {
  const value = positional[index];
  if (value === undefined) throw new UsageError(`missing ${what}`);
  return value;
}

/** A secret read from stdin (so it stays out of argv and shell history). */
export async function readStdinLine() {
  if (process.stdin.isTTY) process.stderr.write('admin token: ');
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8').trim();
}
