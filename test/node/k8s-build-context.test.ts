/**
 * The image's build context (`k8s-fallback/Containerfile.dockerignore`) must leave out every file that holds local
 * secrets: `npm start` keeps them in `.data/`, and `npm run dev` writes `workers/<name>/.dev.vars` with the local
 * key-encryption key and tokens. `COPY . .` in the build stage would otherwise bake them into an image layer.
 *
 * There is no container engine on the test machines, so the ignore file is evaluated here with the rules of
 * Docker's and BuildKit's pattern matcher (moby/patternmatcher): patterns are anchored at the context root, `*` and
 * `?` never cross a `/`, `**` crosses any number of folders (a leading `**`/ also matches at the root), a match on a
 * folder excludes everything inside it, `!` re-includes, and the last matching line wins. Unlike .gitignore, a bare
 * name such as `.dev.vars` matches only at the root, which is the trap this test guards against.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, WORKERS } from '../../scripts/lib/workers.mjs';

interface Pattern {
  exclude: boolean;
  regex: RegExp;
}

function toRegex(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === '*' && pattern[i + 1] === '*') {
      i++;
      if (pattern[i + 1] === '/') i++;
      out += i + 1 >= pattern.length ? '.*' : '(.*/)?';
    } else if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else if (ch === '\\' && i + 1 < pattern.length) out += `\\${pattern[++i]}`;
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 1);
      out += end > i ? pattern.slice(i, end + 1).replace('[!', '[^') : '\\[';
      if (end > i) i = end;
    } else out += ch.replace(/[.+^${}()|/]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

function parseDockerignore(text: string): Pattern[] {
  const patterns: Pattern[] = [];
  for (const raw of text.split('\n')) {
    let line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const exclude = !line.startsWith('!');
    if (!exclude) line = line.slice(1).trim();
    // filepath.Clean: no leading "/" or "./", no trailing "/", no duplicate separators.
    line = line
      .replace(/\/+/g, '/')
      .replace(/^(\.\/|\/)+/, '')
      .replace(/\/$/, '');
    patterns.push({ exclude, regex: toRegex(line) });
  }
  return patterns;
}

/** True when `path` (relative to the context root, "/"-separated) is left out of the build context. */
function excluded(patterns: Pattern[], path: string): boolean {
  const parts = path.split('/');
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let result = false;
  for (const p of patterns) {
    if (candidates.some((c) => p.regex.test(c))) result = p.exclude;
  }
  return result;
}

describe('Containerfile build context', () => {
  it('the matcher follows Docker semantics (examples from the Dockerfile reference)', () => {
    const rules = parseDockerignore('*/temp*\n*/*/temp*\ntemp?\n*.md\n!README.md\n');
    expect(excluded(rules, 'somedir/temporary.txt')).toBe(true);
    expect(excluded(rules, 'somedir/subdir/temp')).toBe(true);
    expect(excluded(rules, 'a/b/c/temp')).toBe(false);
    expect(excluded(rules, 'tempa')).toBe(true);
    expect(excluded(rules, 'notes.md')).toBe(true);
    expect(excluded(rules, 'README.md')).toBe(false);
    // A bare name is anchored at the root; ** reaches into folders and also matches at the root.
    expect(excluded(parseDockerignore('.env\n'), 'app/.env')).toBe(false);
    expect(excluded(parseDockerignore('**/.env\n'), 'app/.env')).toBe(true);
    expect(excluded(parseDockerignore('**/.env\n'), '.env')).toBe(true);
    // A folder match excludes what is inside it.
    expect(excluded(parseDockerignore('.data\n'), '.data/x/y.json')).toBe(true);
  });

  it('leaves out every local secret file npm start and npm run dev write', () => {
    const rules = parseDockerignore(readFileSync(join(ROOT, 'k8s-fallback', 'Containerfile.dockerignore'), 'utf8'));
    const secretFiles = [
      '.dev.vars',
      '.data/local-secrets.json',
      '.data/postgres/PG_VERSION',
      ...WORKERS.map((w) => `workers/${w.name}/.dev.vars`),
    ];
    for (const file of secretFiles) expect(excluded(rules, file), file).toBe(true);
    // And still ships what the build needs.
    for (const file of ['package.json', 'workers/auth/wrangler.toml', 'workers/auth/src/index.ts', 'migrations']) {
      expect(excluded(rules, file), file).toBe(false);
    }
  });
});
