#!/usr/bin/env node
// `npm test`: type-check, lint, the layering rules, build, the tests inside workerd (shared library + each Worker), then the tests
// that need real Postgres and Redis (bridges and black-box tests against the real workerd). Each step's
// result is counted; the last line printed is `N passed, N failed` (CI reads it).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { QUIET_WRANGLER_ENV, ROOT, WORKERS } from './lib/workers.mjs';

const OUT = join(ROOT, '.test-out');
const bin = (name) => join(ROOT, 'node_modules', '.bin', name);
const filter = process.argv.slice(2);

let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];

function run(cmd, args, extraEnv = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, ...QUIET_WRANGLER_ENV, FORCE_COLOR: '0', ...extraEnv },
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    child.on('error', () => resolve(127));
  });
}

async function check(name, cmd, args) {
  console.log(`\n== ${name}`);
  const code = await run(cmd, args);
  if (code === 0) passed++;
  else {
    failed++;
    failures.push(name);
  }
  return code === 0;
}

async function suite(name, config) {
  console.log(`\n== ${name} (${config})`);
  const report = join(OUT, `${name.replace(/[^a-z0-9]+/gi, '-')}.json`);
  rmSync(report, { force: true });
  const args = ['run', '--config', config, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`];
  const code = await run(bin('vitest'), args);
  if (!existsSync(report)) {
    failed++;
    failures.push(`${name}: the suite did not run to completion (exit ${code})`);
    return;
  }
  const result = JSON.parse(readFileSync(report, 'utf8'));
  passed += result.numPassedTests;
  failed += result.numFailedTests;
  skipped += result.numPendingTests + result.numTodoTests;
  for (const file of result.testResults) {
    for (const t of file.assertionResults) {
      if (t.status === 'failed') failures.push(`${name}: ${t.fullName}`);
    }
    // A file that failed to load has no assertions but is a failure.
    if (file.status === 'failed' && file.assertionResults.length === 0) {
      failed++;
      failures.push(`${name}: ${file.name} failed to load: ${file.message?.split('\n')[0]}`);
    }
  }
  if (code !== 0 && result.numFailedTests === 0 && !failures.some((f) => f.startsWith(name))) {
    failed++;
    failures.push(`${name}: vitest exited ${code} with no failed test (unhandled error?)`);
  }
}

mkdirSync(OUT, { recursive: true });
const want = (step) => filter.length === 0 || filter.includes(step);

if (want('typecheck')) {
  await check('type-check (Workers and shared)', bin('tsc'), ['--noEmit', '-p', 'tsconfig.json']);
  await check('type-check (Node: bridges and tests)', bin('tsc'), ['--noEmit', '-p', 'tsconfig.node.json']);
}
if (want('lint')) await check('lint and format', bin('biome'), ['check', '.']);
if (want('layering')) {
  await check('layering rules (dependency-cruiser)', bin('depcruise'), [
    '--config',
    '.dependency-cruiser.cjs',
    '--output-type',
    'err',
    'shared',
    'workers',
  ]);
}
const built = await check('build (bundles, bridges, workerd configs)', process.execPath, [
  join(ROOT, 'scripts', 'build.mjs'),
]).then(
  async (ok) => ok && check('generate workerd configs', process.execPath, [join(ROOT, 'scripts/workerd-config.mjs')]),
);
if (want('workerd')) {
  await suite('workerd: shared', 'vitest.config.ts');
  // Its global setup starts the Redis bridge from dist/dataplane, so it needs the build.
  if (built) {
    await suite('workerd: keyed state', 'shared/state/vitest.config.ts');
    // The auth Worker's machines (refresh families) on every backend, after the conformance suite.
    await suite('workerd: auth keyed state', 'workers/auth/test/keyed-state/vitest.config.ts');
  } else {
    failed++;
    failures.push('workerd: keyed state: skipped because the build failed');
  }
  for (const { name } of WORKERS) {
    const config = `workers/${name}/vitest.config.ts`;
    if (existsSync(join(ROOT, config))) await suite(`workerd: ${name}`, config);
  }
}
if (want('node')) {
  if (built) await suite('node: data plane and black-box', 'vitest.node.config.ts');
  else {
    failed++;
    failures.push('node: skipped because the build failed');
  }
}

console.log('\n== summary');
for (const f of failures) console.log(`FAILED ${f}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exitCode = failed > 0 ? 1 : 0;
