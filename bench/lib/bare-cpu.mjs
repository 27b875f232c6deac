// CPU per operation in a bare workerd Worker bundled from one module of references/ (scenarios mfa, password-hash,
// sign-in's floor): one connection, so each request is one operation, measured from /proc beside the same Worker's
// no-op request (its overhead).
import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { build } from 'esbuild';
import { BENCH_OUT } from './platform.mjs';
import { REFERENCES_DIR } from './references.mjs';

const SINGLE = { connections: 1 };

/**
 * Bundles references/`entry` (esbuild, ESM, node:* left to nodejs_compat) into .bench-out/`name`/ and runs it as a
 * bare Worker on the server core (ctx.startBareWorker).
 */
export async function startBundledWorker(ctx, name, entry, buildOptions = {}) {
  const dir = join(BENCH_OUT, name);
  mkdirSync(dir, { recursive: true });
  const out = join(dir, basename(entry).replace(/\.ts$/, '.mjs'));
  await build({
    entryPoints: [join(REFERENCES_DIR, entry)],
    outfile: out,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    external: ['node:*'],
    logLevel: 'warning',
    ...buildOptions,
  });
  return ctx.startBareWorker(name, out, {}, ['nodejs_compat']);
}

/** Checks that each path of `worker` answers its expected text before anything is measured. */
export async function expectAnswers(worker, expected) {
  for (const [path, text] of Object.entries(expected)) {
    const res = await fetch(`${worker.url}${path}`);
    const got = await res.text();
    if (got !== text) throw new Error(`${path}: expected ${text}, got ${res.status} ${got}\n${worker.logs()}`);
  }
}

/** Measurements of `worker`'s paths ([id, label, path]), the no-op request (id `noop`) first. */
export function perRequestCpu(worker, paths) {
  return [['noop', 'bare workerd: no-op request (overhead)', '/noop'], ...paths].map(([id, label, path]) => ({
    id,
    label,
    request: { url: `${worker.url}${path}` },
    serverPids: [worker.pid],
    load: SINGLE,
  }));
}

/** CPU µs per request of measurement `id`, above the no-op request's. */
export const cpuAboveNoop = (results, id) => results[id].cpuUsPerRequest - results.noop.cpuUsPerRequest;

/**
 * A scenario measuring CPU per request of a bare Worker: `start(ctx)` starts it (startBundledWorker), `answers` are
 * checked first (expectAnswers), `paths` are measured beside the no-op (perRequestCpu), `targets(results)` as any
 * scenario's.
 */
export function bareCpuScenario({ name, description, start, answers, paths, targets }) {
  return {
    name,
    description,
    async setup(ctx) {
      const worker = await start(ctx);
      try {
        await expectAnswers(worker, answers);
      } catch (err) {
        await worker.stop();
        throw err;
      }
      return {
        measurements: perRequestCpu(worker, paths),
        targets,
        processes: { workerd: worker.pid },
        teardown: () => worker.stop(),
      };
    },
  };
}
