/**
 * The layering rules (.dependency-cruiser.cjs, run by `npm test`) hold on the real tree, and each of them fails on
 * test/fixtures/layering, a tree written to break every rule once.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const DEPCRUISE = join(ROOT, 'node_modules', '.bin', 'depcruise');

function cruise(cwd: string, dirs: string[]) {
  const res = spawnSync(DEPCRUISE, ['--config', CONFIG, '--output-type', 'err', ...dirs], { cwd, encoding: 'utf8' });
  return { code: res.status, out: `${res.stdout}${res.stderr}` };
}

describe('layering rules (dependency-cruiser)', () => {
  it('pass on shared/ and the Workers', () => {
    const { code, out } = cruise(ROOT, ['shared', 'workers']);
    expect(out).toMatch(/no dependency violations found/);
    expect(code).toBe(0);
  }, 60_000);

  it('fail on a tree that breaks each rule', () => {
    const { code, out } = cruise(join(ROOT, 'test', 'fixtures', 'layering'), ['shared', 'workers']);
    expect(code).not.toBe(0);
    const broken = (rule: string, from: string, to: string) =>
      expect(out).toMatch(new RegExp(`${rule}: ${from.replaceAll('.', '\\.')} → [^\\n]*${to.replaceAll('.', '\\.')}`));
    broken('domain-is-pure', 'workers/a/src/domain/rules.ts', 'workers/a/src/storage/store.ts');
    broken('domain-is-pure', 'workers/a/src/domain/rules.ts', 'node_modules/hono/');
    broken('domain-is-pure', 'workers/a/src/domain/rules.ts', 'cloudflare:workers');
    broken('storage-implements-domain-interfaces', 'workers/a/src/storage/store.ts', 'workers/a/src/domain/rules.ts');
    broken('shared-imports-no-worker', 'shared/helper.ts', 'workers/a/src/domain/rules.ts');
    broken('workers-import-no-other-worker', 'workers/b/src/handlers/call.ts', 'workers/a/src/domain/rules.ts');
    expect(out).toMatch(/no-circular: workers\/a\/src\/(domain\/rules|storage\/store)\.ts → /);
    // A type-only import of the domain by storage is how adapters implement its interfaces: allowed.
    expect(out).not.toMatch(/typed\.ts/);
  }, 60_000);
});
