// Scenario `password-hash`: CPU time of one end-user password verification (scrypt N=2^14, r=8, p=1 from
// node:crypto under nodejs_compat) in bare workerd, for a known account and for an unknown one (the dummy hash),
// beside a no-op request on the same Worker. One connection: each request is one hash, measured from /proc.
import { bareCpuScenario, cpuAboveNoop, startBundledWorker } from '../lib/bare-cpu.mjs';

/** The auth Worker's password hashing alone in a bare workerd (references/password-hash-worker.ts), on the server core. */
export function startPasswordHashWorker(ctx) {
  return startBundledWorker(ctx, 'password-hash', 'password-hash-worker.ts');
}

export default bareCpuScenario({
  name: 'password-hash',
  description: 'CPU per scrypt password verification in workerd (known and unknown account) vs a no-op request',
  start: startPasswordHashWorker,
  answers: { '/verify': 'true', '/unknown': 'false' },
  paths: [
    ['verify', 'scrypt verify, known account', '/verify'],
    ['unknown', 'scrypt verify, unknown account (dummy hash)', '/unknown'],
  ],
  targets(results) {
    const ms = (id) => cpuAboveNoop(results, id) / 1000;
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
});
