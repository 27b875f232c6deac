/**
 * Production limit: Cloudflare's WebCrypto refuses PBKDF2 with more than 100,000 iterations (the derivation throws
 * at run time, in production only, on the first sign-in that needs it). So no code that ships to Cloudflare may
 * derive with more, and the count must be provable from the code.
 *
 * The scan reads our sources (shared/, workers/*\/src) and the Workers' bundles exactly as they deploy
 * (dist/workers/*\/index.js, dependencies included; `npm test` builds them first) and finds:
 * - every key derivation call (`deriveBits(`, `deriveKey(`, node:crypto `pbkdf2(`/`pbkdf2Sync(`): a WebCrypto call
 *   must name its algorithm in an inline object literal (so the scan can tell PBKDF2 from ECDH or HKDF), and a
 *   PBKDF2 one must state its iterations as a number, or a `const` of the same file holding one, at most 100,000;
 * - every object literal naming PBKDF2 and carrying `iterations` (parameters built before the call): same rule.
 * A mention of the name alone (an OID table, `importKey(..., 'PBKDF2', ...)`) derives nothing and passes.
 *
 * The scanner is tested first on fixtures that must fail, so the scan of the real code cannot pass vacuously.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const CLOUDFLARE_PBKDF2_MAX_ITERATIONS = 100_000;

interface Finding {
  file: string;
  line: number;
  problem: string;
}

/** The text of a balanced (), {} or [] group starting at `open`, or undefined when it does not close. */
function group(text: string, open: number): string | undefined {
  const pairs: Record<string, string> = { '(': ')', '{': '}', '[': ']' };
  const stack: string[] = [];
  let quote: string | undefined;
  for (let i = open; i < text.length && i < open + 5000; i++) {
    const ch = text[i] as string;
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === '"' || ch === "'" || ch === '`') quote = ch;
    else if (pairs[ch]) stack.push(pairs[ch] as string);
    else if (ch === stack[stack.length - 1]) {
      stack.pop();
      if (stack.length === 0) return text.slice(open, i + 1);
    }
  }
  return undefined;
}

/** Splits the top level of an argument list `(a, {b, c}, d)` into its arguments. */
function topLevelArgs(parenGroup: string): string[] {
  const inner = parenGroup.slice(1, -1);
  const args: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i] as string;
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === '"' || ch === "'" || ch === '`') quote = ch;
    else if ('({['.includes(ch)) depth++;
    else if (')}]'.includes(ch)) depth--;
    else if (ch === ',' && depth === 0) {
      args.push(inner.slice(start, i).trim());
      start = i + 1;
    }
  }
  args.push(inner.slice(start).trim());
  return args;
}

/** A number literal, or a `const NAME = <number>` of the same text; undefined when neither. */
function resolveCount(expr: string, text: string): number | undefined {
  const literal = expr.replace(/_/g, '');
  if (/^\d+(e\d+)?$/i.test(literal)) return Number(literal);
  if (!/^[A-Za-z_$][\w$]*$/.test(expr)) return undefined;
  const decl = new RegExp(`\\bconst\\s+${expr.replace(/\$/g, '\\$')}\\s*=\\s*([\\d_]+(?:e\\d+)?)\\s*[;,\\n]`, 'i').exec(
    text,
  );
  return decl ? Number((decl[1] as string).replace(/_/g, '')) : undefined;
}

/** The iterations of a PBKDF2 parameter object literal: a problem, or undefined when within the cap. */
function iterationsProblem(objectLiteral: string, text: string): string | undefined {
  const m = /\biterations\s*(?::\s*([^,}\s]+))?/.exec(objectLiteral);
  if (!m) return 'PBKDF2 parameters without a visible iteration count';
  const count = m[1] === undefined ? undefined : resolveCount(m[1], text);
  if (count === undefined) return `PBKDF2 iterations \`${m[1] ?? 'iterations'}\` cannot be proved <= 100,000`;
  if (count > CLOUDFLARE_PBKDF2_MAX_ITERATIONS) return `PBKDF2 with ${count} iterations (Cloudflare allows 100,000)`;
  return undefined;
}

const lineOf = (text: string, index: number) => text.slice(0, index).split('\n').length;

/** Every PBKDF2 use in `text` that breaks or cannot be proved to keep the cap. */
function pbkdf2Findings(file: string, text: string): Finding[] {
  const findings: Finding[] = [];
  const seen = new Set<string>();
  // A literal inside a checked call is found twice (rules 1 and 3): reported once.
  const report = (index: number, problem: string) => {
    const line = lineOf(text, index);
    if (seen.has(`${line} ${problem}`)) return;
    seen.add(`${line} ${problem}`);
    findings.push({ file, line, problem });
  };

  // 1. WebCrypto derivations: the algorithm must be an inline object literal.
  for (const m of text.matchAll(/\.(deriveBits|deriveKey)\s*\(/g)) {
    const open = (m.index as number) + m[0].length - 1;
    const call = group(text, open);
    if (!call) {
      report(m.index as number, `${m[1]} call the scan cannot read`);
      continue;
    }
    const algorithm = topLevelArgs(call)[0] ?? '';
    if (!algorithm.startsWith('{')) {
      report(m.index as number, `${m[1]} with a non-literal algorithm (\`${algorithm.slice(0, 40)}\`): cannot tell`);
      continue;
    }
    if (/PBKDF2/i.test(algorithm)) {
      const problem = iterationsProblem(algorithm, text);
      if (problem) report(m.index as number, problem);
    }
  }
  // 2. node:crypto pbkdf2(password, salt, iterations, keylen, digest[, callback]).
  for (const m of text.matchAll(/\bpbkdf2(Sync)?\s*\(/g)) {
    // A function declaration of that name (a bundled pure-JS library's, e.g. @stablelib's) is not a call.
    if (/\bfunction\s*\*?\s*$/.test(text.slice(Math.max(0, (m.index as number) - 20), m.index as number))) continue;
    const call = group(text, (m.index as number) + m[0].length - 1);
    const iterations = call ? topLevelArgs(call)[2] : undefined;
    // A declaration or an import of the name is not a call.
    if (!call || iterations === undefined) continue;
    const count = resolveCount(iterations, text);
    if (count === undefined) report(m.index as number, `pbkdf2 iterations \`${iterations}\` cannot be proved`);
    else if (count > CLOUDFLARE_PBKDF2_MAX_ITERATIONS) report(m.index as number, `pbkdf2 with ${count} iterations`);
  }
  // 3. PBKDF2 parameter objects built before the call.
  for (const m of text.matchAll(/["'`]PBKDF2["'`]/gi)) {
    let depth = 0;
    let open = -1;
    for (let i = (m.index as number) - 1; i >= 0 && i > (m.index as number) - 2000; i--) {
      const ch = text[i];
      if (ch === '}') depth++;
      else if (ch === '{') {
        if (depth === 0) {
          open = i;
          break;
        }
        depth--;
      }
    }
    const literal = open >= 0 ? group(text, open) : undefined;
    if (literal && /\biterations\b/.test(literal)) {
      const problem = iterationsProblem(literal, text);
      if (problem) report(m.index as number, problem);
    }
  }
  return findings;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'test' || name.startsWith('.')) continue;
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|mts|js|mjs)$/.test(name) && !/\.test\./.test(name)) out.push(path);
  }
  return out;
}

const WORKERS = ['auth', 'policy', 'admin', 'monitor'];

describe('the scanner (fixtures that must fail, and ones that must pass)', () => {
  const bad: Record<string, string> = {
    'inline literal above the cap': `await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations: 600_000 }, key, 256);`,
    'a const above the cap': `const ITER = 310000;\nconst k = await subtle.deriveKey({ name: "PBKDF2", salt, iterations: ITER, hash: "SHA-256" }, base, aes, false, ["encrypt"]);`,
    'an unprovable count':
      'await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations: env.ROUNDS }, key, 256);',
    'shorthand iterations':
      'await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, 256);',
    'a non-literal algorithm': 'const bits = await crypto.subtle.deriveBits(params, key, 256);',
    'node pbkdf2Sync above the cap': `pbkdf2Sync(password, salt, 600000, 32, 'sha512');`,
    'a call of a bundled declaration with an unprovable count': `function pbkdf2(password, salt, iterations, dkLen) {}\nconst dk = pbkdf2(pw, salt, opts.rounds, 32);`,
    'parameters built before the call': `const algo = { name: 'PBKDF2', hash: 'SHA-256', salt, iterations: 200_000 };`,
  };
  for (const [name, code] of Object.entries(bad)) {
    it(`flags ${name}`, () => {
      expect(pbkdf2Findings('fixture.ts', code)).toHaveLength(1);
    });
  }
  const good: Record<string, string> = {
    'the cap itself': `await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations: 100_000 }, key, 256);`,
    'a const within the cap': `const ITER = 100000;\nawait subtle.deriveBits({ name: "PBKDF2", salt, iterations: ITER, hash: "SHA-256" }, key, 256);`,
    'node pbkdf2 within the cap': `pbkdf2(password, salt, 100000, 32, 'sha256', done);`,
    'a declaration that is never called':
      'function pbkdf2(password, salt, iterations, dkLen) {\n  var prf = new HMAC(password);\n}',
    ECDH: 'await cryptoProxy.deriveBits(\n  { name: "ECDH", public: publicKey },\n  privateKey,\n  256\n);',
    'a name-only mention':
      '{ "1.2.840.113549.1.5.12": { name: "PBKDF2" }, x: importKey("raw", pw, "PBKDF2", false, ["deriveBits"]) }',
  };
  for (const [name, code] of Object.entries(good)) {
    it(`passes ${name}`, () => {
      expect(pbkdf2Findings('fixture.ts', code)).toEqual([]);
    });
  }
});

describe('PBKDF2 on Cloudflare: at most 100,000 iterations', () => {
  it('no source that ships to Cloudflare derives with more, or with a count the scan cannot prove', () => {
    const files = [
      ...sourceFiles(join(ROOT, 'shared')),
      ...WORKERS.flatMap((w) => sourceFiles(join(ROOT, 'workers', w, 'src'))),
    ];
    expect(files.length).toBeGreaterThan(50);
    const findings = files.flatMap((f) => pbkdf2Findings(relative(ROOT, f), readFileSync(f, 'utf8')));
    expect(findings).toEqual([]);
  });

  it('no Worker bundle (dependencies included) does either', () => {
    let derivationsSeen = 0;
    for (const w of WORKERS) {
      const bundle = join(ROOT, 'dist', 'workers', w, 'index.js');
      expect(existsSync(bundle), `${bundle} (npm run build:workerd builds it)`).toBe(true);
      const text = readFileSync(bundle, 'utf8');
      derivationsSeen += [...text.matchAll(/\.(deriveBits|deriveKey)\s*\(/g)].length;
      expect(pbkdf2Findings(relative(ROOT, bundle), text)).toEqual([]);
    }
    // The bundles do derive keys (TLS to Postgres: ECDH): the scan saw real call sites and classified them.
    expect(derivationsSeen).toBeGreaterThan(0);
  });
});
