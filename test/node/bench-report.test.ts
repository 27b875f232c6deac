/**
 * The bench's report (bench/lib/report.mjs): a comparison prints the ratio of the medians and, beside it, the ratio
 * round by round, so that a reader can tell a real difference from the machine's drift between rounds. A target on a
 * ratio is judged round by round (roundRatio), so that drift between rounds cannot turn a MISS into a PASS.
 */
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module of the bench, without types
import { printScenario, roundRatio, summarize } from '../../bench/lib/report.mjs';
// @ts-expect-error: a plain ES module of the bench, without types
import { tokenTargets } from '../../bench/scenarios/token.mjs';

const rounds = (rps: number[], p99 = rps.map(() => 2)) =>
  summarize(
    rps.map((r, i) => ({
      rps: r,
      p50: 1,
      p99: p99[i],
      cpuUsPerRequest: 100,
      errors: 0,
      timeouts: 0,
      non2xx: 0,
      requests: 1,
    })),
  );

function comparison(a: number[], b: number[]): string {
  const lines: string[] = [];
  const scenario = {
    name: 'x',
    measurements: [
      { id: 'a', label: 'A', compare: ['b'] },
      { id: 'b', label: 'B' },
    ],
  };
  printScenario(scenario, { a: rounds(a), b: rounds(b) }, (line: string) => lines.push(line));
  return lines.find((l) => l.includes('vs B')) ?? '';
}

describe('bench report comparisons', () => {
  it('prints the ratio of medians and the median and range of the ratios round by round', () => {
    // Round 3 of A ran while the machine was slow: the medians pair A's slow round with B's fast one.
    const line = comparison([3882, 2503, 1980], [4058, 2793, 3658]);
    expect(line).toContain('req/s 0.68x');
    expect(line).toContain('(req/s round by round: median 0.90x, 0.54-0.96x)');
  });

  it('prints no round-by-round ratio from a single round', () => {
    expect(comparison([100], [200])).not.toContain('round by round');
  });
});

describe('targets on a ratio are judged round by round', () => {
  it('takes the median of the ratios of rounds, not the ratio of the medians', () => {
    const r = roundRatio(rounds([3882, 2503, 1980]), rounds([4058, 2793, 3658]));
    expect(r.ofMedians).toBeCloseTo(2503 / 3658, 5);
    expect(r.judged).toBeCloseTo(2503 / 2793, 5);
    expect([r.rounds, r.min, r.max]).toEqual([3, 1980 / 3658, 3882 / 4058]);
    // Any measured field: p99 too.
    expect(roundRatio(rounds([1, 1], [4, 9]), rounds([1, 1], [2, 10]), 'p99').judged).toBeCloseTo((2 + 0.9) / 2, 5);
  });

  it('falls back to the ratio of the medians with a single round', () => {
    const r = roundRatio(rounds([300]), rounds([100]));
    expect([r.judged, r.rounds]).toEqual([3, 1]);
  });

  // The token scenario's peer target, fed a run like one this machine produced: the medians pair the platform's
  // calm round with the peer's slow one and read 2.07x; round by round the platform ran 3.00x, 1.48x and 1.87x.
  const tokenRun = (platform: number[], peer: number[]) => {
    const same = rounds([1000, 1000, 1000]);
    return {
      token: rounds(platform),
      'token-ceiling': rounds([9000, 9000, 9000]),
      'peer-token': rounds(peer),
      introspect: same,
      'peer-introspect': same,
    };
  };
  const peerTarget = (r: unknown) =>
    tokenTargets(r, 0).find((t: { label: string }) => t.label.startsWith('token issuance >= 2x peer'));

  it('is a MISS when only the ratio of the medians reaches the target', () => {
    const t = peerTarget(tokenRun([6000, 4000, 5600], [2000, 2700, 3000]));
    expect(t.pass).toBe(false);
    expect(t.detail).toContain('5600 vs 2700 req/s = 1.87x round by round (1.48-3.00x; ratio of medians 2.07x)');
  });

  it('is a PASS when the rounds reach it', () => {
    expect(peerTarget(tokenRun([6000, 5400, 5600], [2000, 2700, 2700])).pass).toBe(true);
  });
});
