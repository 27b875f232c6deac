/**
 * The bench's report (bench/lib/report.mjs): a comparison prints the ratio of the medians and, beside it, the ratio
 * round by round, so that a reader can tell a real difference from the machine's drift between rounds.
 */
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module of the bench, without types
import { printScenario, summarize } from '../../bench/lib/report.mjs';

const rounds = (rps: number[]) =>
  summarize(
    rps.map((r) => ({ rps: r, p50: 1, p99: 2, cpuUsPerRequest: 100, errors: 0, timeouts: 0, non2xx: 0, requests: 1 })),
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
