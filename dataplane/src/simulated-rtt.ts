/**
 * Simulated distance between the Workers and the data plane, for benchmarks only (off unless an RTT is set).
 *
 * An edge location far from the database region sees every Postgres and Redis round trip cost one network RTT.
 * The bridges reproduce that on one machine by delaying traffic like a long link does:
 *
 * - every chunk, in each direction, arrives half an RTT after it was sent, in order. A request and its reply
 *   therefore cost exactly one RTT, and messages sent back to back (a Postgres pipeline, or several requests in
 *   flight on separate connections) overlap as on a real link: the delay is latency, not a slower server;
 * - a new connection first pays its TCP handshake, one RTT. TLS handshakes are not simulated (the bridges speak
 *   plain TCP locally; over TLS 1.3 a real connection pays one RTT more), so first-request figures are a lower
 *   bound.
 *
 * Bandwidth is not limited, and bytes held in the delay are not counted against the bridges' backpressure limits:
 * a benchmark tool, not a network emulator to run in production.
 */

/** Delivers queued actions in order, each `delayMs` after it was queued. */
export class DelayLine {
  private readonly queue: { due: number; run: () => void }[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly delayMs: number) {}

  push(run: () => void): void {
    this.queue.push({ due: performance.now() + this.delayMs, run });
    if (!this.timer) this.schedule();
  }

  private schedule(): void {
    const head = this.queue[0];
    if (!head) {
      this.timer = null;
      return;
    }
    this.timer = setTimeout(() => this.flush(), Math.max(0, head.due - performance.now()));
  }

  private flush(): void {
    const now = performance.now();
    // One action throwing must not stall the ones behind it; the bridges' actions do not throw.
    while (this.queue[0] && this.queue[0].due <= now) {
      const { run } = this.queue.shift() as { run: () => void };
      try {
        run();
      } catch {
        // ignored, see above
      }
    }
    this.schedule();
  }
}

/** Validates an RTT option: a whole number of milliseconds, 0 (off) to 10 s. */
export function simulatedRtt(ms: number | undefined): number {
  const value = ms ?? 0;
  if (!Number.isInteger(value) || value < 0 || value > 10_000)
    throw new Error(`simulated RTT must be a whole number of milliseconds from 0 to 10000, got ${value}`);
  return value;
}

/** Resolves after `ms` milliseconds (at once for 0). */
export function after(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
