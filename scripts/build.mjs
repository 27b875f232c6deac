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

/** Bundles one Worker exactly as `wrangler deploy` would upload it, into an emptied `outDir`. */
export async function bundleWorker(configPath, outDir) {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const wrangler = join(ROOT, 'node_modules', '.bin', 'wrangler');
  await run(wrangler, ['deploy', '--dry-run', '--outdir', outDir, '--config', configPath]);
}

export async function buildWorkers(outRoot = join(ROOT, 'dist')) {
  await Promise.all(WORKERS.map(({ name }) => bundleWorker(wranglerConfigPath(name), bundleDir(name, outRoot))));
}

/** Bundles Node programs with esbuild, their npm packages left external (installed next to them). */
function bundleNode(entryPoints, outdir, options = {}) {
  return build({
    entryPoints,
    outdir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    outExtension: { '.js': '.mjs' },
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
    ...options,
  });
}

export async function buildDataplane(outRoot = join(ROOT, 'dist')) {
  const bridges = {
    index: join(ROOT, 'dataplane/src/index.ts'),
    'main-pg-bridge': join(ROOT, 'dataplane/src/main-pg-bridge.ts'),
    'main-redis-bridge': join(ROOT, 'dataplane/src/main-redis-bridge.ts'),
  };
  // The Kubernetes Jobs' programs (k8s-fallback/bin) with the shared modules they import, for the image's /app/k8s.
  const jobs = {
    migrate: join(ROOT, 'k8s-fallback/bin/migrate.mjs'),
    'maintain-keys': join(ROOT, 'k8s-fallback/bin/maintain-keys.mjs'),
  };
  await Promise.all([
    bundleNode(bridges, join(outRoot, 'dataplane'), { sourcemap: true }),
    bundleNode(jobs, join(outRoot, 'k8s')),
  ]);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = performance.now();
  const only = process.argv.slice(2);
  if (only.length === 0 || only.includes('workers')) await buildWorkers();
  if (only.length === 0 || only.includes('dataplane')) await buildDataplane();
  console.log(`built in ${Math.round(performance.now() - started)} ms`);
}
