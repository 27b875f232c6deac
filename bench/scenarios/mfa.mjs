// Scenario `mfa`: CPU time of one second-factor verification in bare workerd: a TOTP code (the current step ± 1,
// three HMAC-SHA-1) and a passkey assertion (@simplewebauthn/server, ES256), beside a no-op request on the same
// Worker. One connection: each request is one verification, measured from /proc.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { BENCH_OUT } from '../lib/platform.mjs';
import { REFERENCES_DIR } from '../lib/references.mjs';

const SINGLE = { connections: 1 };

export default {
  name: 'mfa',
  description: 'CPU per TOTP verification and per passkey (WebAuthn) assertion verification in workerd',

  async setup(ctx) {
    const dir = join(BENCH_OUT, 'mfa');
    mkdirSync(dir, { recursive: true });
    const out = join(dir, 'mfa-verify-worker.mjs');
    await build({
      entryPoints: [join(REFERENCES_DIR, 'mfa-verify-worker.ts')],
      outfile: out,
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      mainFields: ['module', 'main'],
      external: ['node:*'],
      logLevel: 'warning',
    });
    const worker = await ctx.startBareWorker('mfa', out, {}, ['nodejs_compat']);
    for (const path of ['/totp', '/passkey']) {
      const res = await fetch(`${worker.url}${path}`);
      const text = await res.text();
      if (text !== 'true') throw new Error(`${path}: expected true, got ${res.status} ${text}\n${worker.logs()}`);
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
        m('totp', 'TOTP verification (±1 step)', '/totp'),
        m('passkey', 'passkey assertion verification (ES256)', '/passkey'),
      ],
      targets(results) {
        const overhead = results.noop.cpuUsPerRequest;
        const us = (id) => Math.max(0, results[id].cpuUsPerRequest - overhead);
        return [
          { label: 'CPU per TOTP verification', info: true, pass: true, detail: `${us('totp').toFixed(0)} µs` },
          { label: 'CPU per passkey verification', info: true, pass: true, detail: `${us('passkey').toFixed(0)} µs` },
        ];
      },
      processes: { workerd: worker.pid },
      teardown: () => worker.stop(),
    };
  },
};
