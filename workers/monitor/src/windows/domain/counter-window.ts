/**
 * Sliding-window event counters whose state is a plain JSON value, so it can be kept in a Durable Object or a
 * Redis string between batches. Two kinds:
 *
 * - exact: the times of the most recent `cap` events. `countWindow` is exactly min(events in (now - W, now], cap).
 *   Memory is O(cap); choose cap >= the highest threshold compared against.
 * - bucketed: per-bucket counts, `buckets` buckets of width w = W / buckets, aligned to multiples of w.
 *   `countWindow` is the exact number of events in [start, now] with start = (floor(now / w) - buckets + 1) * w,
 *   i.e. a window whose length lies in (W - w, W]. It never counts an event older than W and misses at most the
 *   events of the one oldest partial bucket. Memory is O(buckets), independent of volume; events carry weights.
 *
 * Times are epoch milliseconds. Events older than the window when recorded are dropped; out-of-order events
 * inside the window are counted.
 */

export type WindowSpec =
  | { kind: 'exact'; windowMs: number; cap: number }
  | { kind: 'bucketed'; windowMs: number; buckets: number };

/** Exact: ascending event times. Bucketed: [bucket index, count] pairs, ascending by index. */
export type CounterWindow = { t: number[] } | { b: Array<[number, number]> };

export class WindowSpecError extends Error {
  readonly code = 'invalid_window_spec';
}

export function checkWindowSpec(spec: WindowSpec): WindowSpec {
  if (!Number.isSafeInteger(spec.windowMs) || spec.windowMs < 1000)
    throw new WindowSpecError('windowMs must be an integer >= 1000');
  if (spec.kind === 'exact' && (!Number.isSafeInteger(spec.cap) || spec.cap < 1 || spec.cap > 10_000))
    throw new WindowSpecError('cap must be an integer in 1..10000');
  if (spec.kind === 'bucketed') {
    if (!Number.isSafeInteger(spec.buckets) || spec.buckets < 1 || spec.buckets > 600)
      throw new WindowSpecError('buckets must be an integer in 1..600');
    if (spec.windowMs % spec.buckets !== 0) throw new WindowSpecError('windowMs must be a multiple of buckets');
  }
  return spec;
}

export function emptyWindow(spec: WindowSpec): CounterWindow {
  return spec.kind === 'exact' ? { t: [] } : { b: [] };
}

/** The widest span a window may undercount at its old edge (0 for exact windows). */
export function windowErrorMs(spec: WindowSpec): number {
  return spec.kind === 'exact' ? 0 : spec.windowMs / spec.buckets;
}

function bucketWidth(spec: { windowMs: number; buckets: number }): number {
  return spec.windowMs / spec.buckets;
}

/** Drops what has left the window at `now`. Mutates and returns `w`. */
export function pruneWindow(w: CounterWindow, now: number, spec: WindowSpec): CounterWindow {
  if ('t' in w) {
    const from = now - spec.windowMs;
    let i = 0;
    while (i < w.t.length && (w.t[i] as number) <= from) i++;
    if (i > 0) w.t.splice(0, i);
  } else if (spec.kind === 'bucketed') {
    const oldest = Math.floor(now / bucketWidth(spec)) - spec.buckets + 1;
    let i = 0;
    while (i < w.b.length && (w.b[i] as [number, number])[0] < oldest) i++;
    if (i > 0) w.b.splice(0, i);
  }
  return w;
}

/**
 * Records `weight` events at time `t` as seen at `now` (t is clamped to now: a clock ahead of ours cannot push
 * the window forward). Mutates and returns `w`.
 */
export function recordInWindow(w: CounterWindow, t: number, now: number, spec: WindowSpec, weight = 1): CounterWindow {
  const at = Math.min(t, now);
  pruneWindow(w, now, spec);
  if (!(weight >= 1) || !Number.isFinite(weight)) return w;
  if ('t' in w && spec.kind === 'exact') {
    if (at <= now - spec.windowMs) return w;
    const copies = Math.min(Math.floor(weight), spec.cap);
    let pos = w.t.length;
    while (pos > 0 && (w.t[pos - 1] as number) > at) pos--;
    w.t.splice(pos, 0, ...new Array<number>(copies).fill(at));
    if (w.t.length > spec.cap) w.t.splice(0, w.t.length - spec.cap);
  } else if ('b' in w && spec.kind === 'bucketed') {
    const width = bucketWidth(spec);
    const index = Math.floor(at / width);
    if (index < Math.floor(now / width) - spec.buckets + 1) return w;
    let pos = w.b.length;
    while (pos > 0 && (w.b[pos - 1] as [number, number])[0] > index) pos--;
    const prev = w.b[pos - 1];
    if (prev && prev[0] === index) prev[1] += Math.floor(weight);
    else w.b.splice(pos, 0, [index, Math.floor(weight)]);
  } else {
    throw new WindowSpecError('window state does not match its spec');
  }
  return w;
}

/** Events in the window ending at `now` (see the module comment for exactness). Does not modify `w`. */
export function countWindow(w: CounterWindow, now: number, spec: WindowSpec): number {
  let n = 0;
  if ('t' in w) {
    const from = now - spec.windowMs;
    for (let i = w.t.length - 1; i >= 0 && (w.t[i] as number) > from; i--) if ((w.t[i] as number) <= now) n++;
  } else if (spec.kind === 'bucketed') {
    const newest = Math.floor(now / bucketWidth(spec));
    const oldest = newest - spec.buckets + 1;
    for (const [index, count] of w.b) if (index >= oldest && index <= newest) n += count;
  }
  return n;
}

/** True when nothing in the window counts any more at `now` (the state can be forgotten). */
export function windowIsEmpty(w: CounterWindow, now: number, spec: WindowSpec): boolean {
  return countWindow(w, now, spec) === 0;
}
