/**
 * Distinct values seen within a sliding window (accounts failing from one address, addresses failing against
 * one account), with bounded memory. The state keeps at most `cap` values, each with the time it was last seen;
 * when full, the least recently seen value is forgotten. That makes the retained set exactly the min(D, cap)
 * most recently seen of the D distinct values in the window, so `countDistinct` is exactly min(D, cap):
 * decisions against thresholds <= cap are exact. Values are stored as given (callers bound their length).
 */

export interface DistinctSpec {
  windowMs: number;
  cap: number;
}

/** [value, last seen] pairs, ascending by last seen. */
export type DistinctWindow = { v: Array<[string, number]> };

export function emptyDistinct(): DistinctWindow {
  return { v: [] };
}

export function pruneDistinct(w: DistinctWindow, now: number, spec: DistinctSpec): DistinctWindow {
  const from = now - spec.windowMs;
  let i = 0;
  while (i < w.v.length && (w.v[i] as [string, number])[1] <= from) i++;
  if (i > 0) w.v.splice(0, i);
  return w;
}

/** Records `value` seen at `t` (clamped to now). Mutates and returns `w`. O(cap) per call. */
export function observeDistinct(
  w: DistinctWindow,
  value: string,
  t: number,
  now: number,
  spec: DistinctSpec,
): DistinctWindow {
  const at = Math.min(t, now);
  pruneDistinct(w, now, spec);
  if (at <= now - spec.windowMs) return w;
  const existing = w.v.findIndex(([v]) => v === value);
  if (existing >= 0) {
    const seen = (w.v[existing] as [string, number])[1];
    if (seen >= at) return w;
    w.v.splice(existing, 1);
  }
  let pos = w.v.length;
  while (pos > 0 && (w.v[pos - 1] as [string, number])[1] > at) pos--;
  w.v.splice(pos, 0, [value, at]);
  if (w.v.length > spec.cap) w.v.splice(0, w.v.length - spec.cap);
  return w;
}

/** min(distinct values in (now - W, now], cap). Does not modify `w`. */
export function countDistinct(w: DistinctWindow, now: number, spec: DistinctSpec): number {
  const from = now - spec.windowMs;
  let n = 0;
  for (const [, seen] of w.v) if (seen > from && seen <= now) n++;
  return n;
}

/** Whether `value` was seen in the window ending at `now` (and is still retained). */
export function hasDistinct(w: DistinctWindow, value: string, now: number, spec: DistinctSpec): boolean {
  const from = now - spec.windowMs;
  return w.v.some(([v, seen]) => v === value && seen > from && seen <= now);
}

/** The retained values in the window, most recent first, at most `limit`. */
export function distinctValues(w: DistinctWindow, now: number, spec: DistinctSpec, limit = spec.cap): string[] {
  const from = now - spec.windowMs;
  const out: string[] = [];
  for (let i = w.v.length - 1; i >= 0 && out.length < limit; i--) {
    const [v, seen] = w.v[i] as [string, number];
    if (seen > from && seen <= now) out.push(v);
  }
  return out;
}
