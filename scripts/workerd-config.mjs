#!/usr/bin/env node
// Writes dist/workerd/platform.capnp (all four Workers in one workerd: `npm start`, tests, bench) and
// dist/workerd/<worker>.capnp (one Worker per process: the Kubernetes fallback). Run after `npm run build`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateWorkerdConfig } from './lib/workerd-config.mjs';
import { ROOT, WORKERS } from './lib/workers.mjs';

export function writeWorkerdConfigs(outRoot = join(ROOT, 'dist')) {
  const configDir = join(outRoot, 'workerd');
  mkdirSync(configDir, { recursive: true });
  const written = [];
  const platform = join(configDir, 'platform.capnp');
  writeFileSync(platform, generateWorkerdConfig({ mode: 'platform', configDir, outRoot }));
  written.push(platform);
  for (const { name } of WORKERS) {
    const file = join(configDir, `${name}.capnp`);
    writeFileSync(file, generateWorkerdConfig({ mode: 'single', worker: name, configDir, outRoot }));
    written.push(file);
  }
  return written;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const file of writeWorkerdConfigs()) console.log(file);
}
