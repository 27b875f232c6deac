// Scenario `password-hash`: CPU time of one end-user password verification (scrypt N=2^14, r=8, p=1 from
// node:crypto under nodejs_compat) in bare workerd, for a known account and for an unknown one (the dummy hash),
// beside a no-op request on the same Worker. One connection: each request is one hash, measured from /proc.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { BENCH_OUT } from '../lib/platform.mjs';
import { REFERENCES_DIR } from '../lib/references.mjs';

const SINGLE = { connections: 1 };

export default {
  name: 'password-hash',
  description: 'CPU per scrypt password verification in workerd (known and unknown account) vs a no-op request',

  async setup(ctx) {
    const worker = await startPasswordHashWorker(ctx);
    for (const path of ['/verify', '/unknown']) {
      const res = await fetch(`${worker.url}${path}`);
      const text = await res.text();
      const expected = path === '/verify' ? 'true' : 'false';
      if (text !== expected)
        throw new Error(`${path}: expected ${expected}, got ${res.status} ${text}\n${worker.logs()}`);
    }
    const m = (id, label, path) => ({
      id,
      label,
      request: { url: `${worker.url}${path}` },
      serverPids: [worker.pid],
      load: SINGLE,
    });
    return {
      measurements: [
        m('noop', 'bare workerd: no-op request (overhead)', '/noop'),
        m('verify', 'scrypt verify, known account', '/verify'),
        m('unknown', 'scrypt verify, unknown account (dummy hash)', '/unknown'),
      ],
      targets(results) {
        const overhead = results.noop.cpuUsPerRequest;
        const ms = (id) => (results[id].cpuUsPerRequest - overhead) / 1000;
        const known = ms('verify');
        const unknown = ms('unknown');
        const close = Math.abs(known - unknown) <= 0.15 * Math.max(known, unknown);
        return [
          { label: 'CPU per password verification', info: true, pass: true, detail: `${known.toFixed(1)} ms` },
          {
            label: 'unknown account costs the same CPU (within 15%)',
            pass: close,
            detail: `known ${known.toFixed(1)} ms, unknown ${unknown.toFixed(1)} ms`,
          },
        ];
      },
      processes: { workerd: worker.pid },
      teardown: () => worker.stop(),
    };
  },
};

/** The auth Worker's password hashing alone in a bare workerd (references/password-hash-worker.ts), on the server core. */
export async function startPasswordHashWorker(ctx) {
  const dir = join(BENCH_OUT, 'password-hash');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, 'password-hash-worker.mjs');
  await build({
    entryPoints: [join(REFERENCES_DIR, 'password-hash-worker.ts')],
    outfile: out,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    external: ['node:*'],
    logLevel: 'warning',
  });
  return ctx.startBareWorker('password-hash', out, {}, ['nodejs_compat']);
}
