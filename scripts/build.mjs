#!/usr/bin/env node
// Builds what every deployment runs:
// - each Worker bundled by `wrangler deploy --dry-run` (the exact bundle `wrangler deploy` would upload),
// - the data-plane bridges and the Kubernetes Job programs (Node programs) bundled with esbuild.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { bundleDir, QUIET_WRANGLER_ENV, ROOT, WORKERS, wranglerConfigPath } from './lib/workers.mjs';

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: ROOT,
      env: { ...process.env, ...QUIET_WRANGLER_ENV },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`${cmd} ${args.join(' ')} failed:\n${output}`)),
    );
  });
}

export async function buildWorkers(outRoot = join(ROOT, 'dist')) {
  const wrangler = join(ROOT, 'node_modules', '.bin', 'wrangler');
  await Promise.all(
    WORKERS.map(async ({ name }) => {
      const out = bundleDir(name, outRoot);
      rmSync(out, { recursive: true, force: true });
      mkdirSync(out, { recursive: true });
      await run(wrangler, ['deploy', '--dry-run', '--outdir', out, '--config', wranglerConfigPath(name)]);
    }),
  );
}

export async function buildDataplane(outRoot = join(ROOT, 'dist')) {
  await build({
    entryPoints: {
      index: join(ROOT, 'dataplane/src/index.ts'),
      'main-pg-bridge': join(ROOT, 'dataplane/src/main-pg-bridge.ts'),
      'main-redis-bridge': join(ROOT, 'dataplane/src/main-redis-bridge.ts'),
    },
    outdir: join(outRoot, 'dataplane'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    outExtension: { '.js': '.mjs' },
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
  });
  // The Kubernetes Jobs' programs (k8s-fallback/bin) with the shared modules they import, for the image's /app/k8s.
  await build({
    entryPoints: {
      migrate: join(ROOT, 'k8s-fallback/bin/migrate.mjs'),
      'maintain-keys': join(ROOT, 'k8s-fallback/bin/maintain-keys.mjs'),
    },
    outdir: join(outRoot, 'k8s'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    outExtension: { '.js': '.mjs' },
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = performance.now();
  const only = process.argv.slice(2);
  if (only.length === 0 || only.includes('workers')) await buildWorkers();
  if (only.length === 0 || only.includes('dataplane')) await buildDataplane();
  console.log(`built in ${Math.round(performance.now() - started)} ms`);
}
