// Aggregation and printing: medians over rounds, ratios against references, PASS/MISS per target, JSON output.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** Medians of req/s and latencies; errors, timeouts and non-2xx summed over every round (a target wants zero). */
export function summarize(rounds) {
  return {
    rounds: rounds.length,
    rps: median(rounds.map((r) => r.rps)),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    cpuUsPerRequest: median(rounds.map((r) => r.cpuUsPerRequest)),
    errors: rounds.reduce((s, r) => s + r.errors, 0),
    timeouts: rounds.reduce((s, r) => s + r.timeouts, 0),
    non2xx: rounds.reduce((s, r) => s + r.non2xx, 0),
    requests: rounds.reduce((s, r) => s + r.requests, 0),
    perRound: rounds.map((r) => ({
      rps: Math.round(r.rps),
      p50: r.p50,
      p99: r.p99,
      cpuUsPerRequest: Math.round(r.cpuUsPerRequest),
      errors: r.errors,
      non2xx: r.non2xx,
    })),
  };
}

/** Single-request measurements: median and worst latency over the rounds, and how many failed. */
export function summarizeSamples(samples) {
  const ms = samples.map((s) => s.ms);
  return {
    kind: 'sample',
    rounds: samples.length,
    p50: median(ms),
    max: Math.max(...ms),
    cpuMs: median(samples.map((s) => s.cpuMs)),
    failed: samples.filter((s) => !s.ok).length,
    perRound: samples.map((s) => ({ ms: Math.round(s.ms * 10) / 10, ok: s.ok, cpuMs: s.cpuMs, detail: s.detail })),
  };
}

const fmt = (n, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : 'n/a';
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);

export function ratio(a, b) {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : Number.NaN;
}

/**
 * `a`'s `field` against `b`'s round by round: each round measures both within seconds of each other, so a ratio
 * taken inside one round is not moved by how fast the machine was in another. The median of these is what a target
 * on a ratio is judged on. The ratio of the medians pairs rounds measured up to a minute apart: on a machine whose
 * speed drifts (a shared virtual machine), it once read 2.05x for a platform that ran 1.45-2.77x, median 1.78x,
 * round by round. With fewer than two paired rounds, the ratio of the medians stands in.
 * @returns {{ judged: number, ofMedians: number, rounds: number, min: number, max: number }}
 */
export function roundRatio(a, b, field = 'rps') {
  const ofMedians = ratio(a[field], b[field]);
  const n = Math.min(a.perRound?.length ?? 0, b.perRound?.length ?? 0);
  const each = Array.from({ length: n }, (_, i) => ratio(a.perRound[i][field], b.perRound[i][field])).filter(
    Number.isFinite,
  );
  if (each.length < 2) return { judged: ofMedians, ofMedians, rounds: each.length, min: ofMedians, max: ofMedians };
  return { judged: median(each), ofMedians, rounds: each.length, min: Math.min(...each), max: Math.max(...each) };
}

/** A round-by-round ratio as text: "0.65x round by round (0.60-0.67x; ratio of medians 0.64x)". */
export function roundRatioText(r) {
  if (r.rounds < 2) return `${fmt(r.judged, 2)}x`;
  return `${fmt(r.judged, 2)}x round by round (${fmt(r.min, 2)}-${fmt(r.max, 2)}x; ratio of medians ${fmt(r.ofMedians, 2)}x)`;
}

/** The req/s ratio round by round, printed beside the ratio of medians in a comparison. */
function pairedRatios(a, b) {
  const r = roundRatio(a, b);
  if (r.rounds < 2) return '';
  return ` (req/s round by round: median ${fmt(r.judged, 2)}x, ${fmt(r.min, 2)}-${fmt(r.max, 2)}x)`;
}

/**
 * Prints one scenario: a table of medians, then each measurement's ratios against the references it names.
 * @param {{ name: string, measurements: {id: string, label: string, compare?: string[]}[] }} scenario
 * @param {Record<string, ReturnType<typeof summarize>>} results
 */
export function printScenario(scenario, results, write = console.log) {
  const labels = Object.fromEntries(scenario.measurements.map((m) => [m.id, m.label]));
  write(`\n== ${scenario.name}: medians of ${results[scenario.measurements[0].id]?.rounds ?? 0} rounds ==`);
  // p50/p99: of every 2xx response time in the measured run (lib/load-worker.mjs), to the microsecond.
  write(
    `${pad('measurement', 48)}${lpad('req/s', 9)}${lpad('p50 ms', 8)}${lpad('p99 ms', 8)}${lpad('CPU us/req', 12)}${lpad('errors', 8)}${lpad('non-2xx', 9)}`,
  );
  const samples = scenario.measurements.filter((m) => results[m.id]?.kind === 'sample');
  for (const m of scenario.measurements) {
    const r = results[m.id];
    if (!r || r.kind === 'sample') continue;
    write(
      `${pad(m.label, 48)}${lpad(fmt(r.rps), 9)}${lpad(fmt(r.p50, 2), 8)}${lpad(fmt(r.p99, 2), 8)}${lpad(fmt(r.cpuUsPerRequest), 12)}${lpad(r.errors + r.timeouts, 8)}${lpad(r.non2xx, 9)}`,
    );
  }
  if (samples.length) {
    write(
      `\n${pad('single request (one per round)', 48)}${lpad('median ms', 11)}${lpad('worst ms', 10)}${lpad('CPU ms', 9)}${lpad('failed', 8)}`,
    );
    for (const m of samples) {
      const r = results[m.id];
      write(
        `${pad(m.label, 48)}${lpad(fmt(r.p50, 1), 11)}${lpad(fmt(r.max, 1), 10)}${lpad(fmt(r.cpuMs, 1), 9)}${lpad(r.failed, 8)}`,
      );
    }
  }
  for (const m of scenario.measurements) {
    if (!m.compare?.length || !results[m.id]) continue;
    const parts = m.compare
      .filter((id) => results[id])
      .map((id) => {
        const rps = ratio(results[m.id].rps, results[id].rps);
        const p99 = ratio(results[m.id].p99, results[id].p99);
        const cpu = ratio(results[m.id].cpuUsPerRequest, results[id].cpuUsPerRequest);
        const paired = pairedRatios(results[m.id], results[id]);
        return `${labels[id]}: req/s ${fmt(rps, 2)}x, p99 ${fmt(p99, 2)}x, CPU/request ${fmt(cpu, 2)}x${paired}`;
      });
    write(`  ${m.label}\n    vs ${parts.join('\n    vs ')}`);
  }
}

/** @param {{ label: string, pass: boolean, info?: boolean, detail: string }[]} targets */
export function printTargets(name, targets, write = console.log) {
  if (targets.length === 0) return;
  write(`\n-- ${name}: targets --`);
  // Informational rows are measurements without a target: printed as INFO, never as PASS.
  for (const t of targets) write(`${t.info ? 'INFO' : t.pass ? 'PASS' : 'MISS'}  ${t.label}  (${t.detail})`);
}

export function writeResults(dir, report) {
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const body = `${JSON.stringify(report, null, 2)}\n`;
  const file = join(dir, `bench-${stamp}.json`);
  writeFileSync(file, body);
  writeFileSync(join(dir, 'latest.json'), body);
  return file;
}
