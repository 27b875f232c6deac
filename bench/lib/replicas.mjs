// Measurements across workerd processes on one data plane (lib/platform.mjs replicas): the first request on a cold
// isolate, and whether a revocation made through one process is seen at once by the others.
import { cpuMeter } from './cpu.mjs';
import { timed } from './oauth.mjs';

/**
 * A `sample` measurement (run.mjs contract): restart the replica's workerd without warming it, then time one
 * request, built just before (`makeRequest`, not timed) so that what it carries is fresh.
 * @param {{ restartCold(): Promise<void>, serverPids(): number[] }} replica
 * @param {() => Promise<object>} makeRequest  resolves to a request spec
 * @param {(status: number, text: string) => boolean} [accept]  what counts as a correct answer (default: 2xx)
 */
export function coldRequestSample(replica, makeRequest, accept = (status) => status >= 200 && status < 300) {
  return async () => {
    const request = await makeRequest();
    await replica.restartCold();
    const used = cpuMeter(replica.serverPids());
    const r = await timed(request);
    const cpuMs = used();
    const ok = accept(r.status, r.text);
    return { ms: r.ms, ok, cpuMs, detail: ok ? undefined : `HTTP ${r.status} ${r.text.slice(0, 200)}` };
  };
}

/**
 * Revocation visible at once everywhere: a token issued by one process is introspected through every other
 * process first (so any cache they keep holds it as active), revoked through the first, and introspected again
 * through each process right after the revocation answered. Every one must answer `active: false`.
 * @param {{ issue(): Promise<string>, revoke(token: string): Promise<void>,
 *   introspectors: { name: string, introspect(token: string): Promise<{ active: boolean, ms: number }> }[] }} opts
 */
export async function revocationCheck({ issue, revoke, introspectors }) {
  const token = await issue();
  const before = [];
  for (const p of introspectors) before.push({ name: p.name, ...(await p.introspect(token)) });
  const notActive = before.filter((b) => !b.active);
  if (notActive.length) {
    return {
      pass: false,
      detail: `before revocation, not active through ${notActive.map((b) => b.name).join(', ')}: the check is void`,
    };
  }
  await revoke(token);
  const after = await Promise.all(introspectors.map(async (p) => ({ name: p.name, ...(await p.introspect(token)) })));
  const stale = after.filter((a) => a.active);
  return {
    pass: stale.length === 0,
    detail: `${after.map((a) => `${a.name}: ${a.active ? 'ACTIVE' : 'inactive'} after ${a.ms.toFixed(1)} ms`).join('; ')}`,
  };
}
