// Scenario `mfa`: CPU time of one second-factor verification in bare workerd: a TOTP code (the current step ± 1,
// three HMAC-SHA-1) and a passkey assertion (@simplewebauthn/server, ES256), beside a no-op request on the same
// Worker. One connection: each request is one verification, measured from /proc.
import { bareCpuScenario, cpuAboveNoop, startBundledWorker } from '../lib/bare-cpu.mjs';

export default bareCpuScenario({
  name: 'mfa',
  description: 'CPU per TOTP verification and per passkey (WebAuthn) assertion verification in workerd',
  start: (ctx) => startBundledWorker(ctx, 'mfa', 'mfa-verify-worker.ts', { mainFields: ['module', 'main'] }),
  answers: { '/totp': 'true', '/passkey': 'true' },
  paths: [
    ['totp', 'TOTP verification (±1 step)', '/totp'],
    ['passkey', 'passkey assertion verification (ES256)', '/passkey'],
  ],
  targets(results) {
    const us = (id) => Math.max(0, cpuAboveNoop(results, id));
    return [
      { label: 'CPU per TOTP verification', info: true, pass: true, detail: `${us('totp').toFixed(0)} µs` },
      { label: 'CPU per passkey verification', info: true, pass: true, detail: `${us('passkey').toFixed(0)} µs` },
    ];
  },
});
