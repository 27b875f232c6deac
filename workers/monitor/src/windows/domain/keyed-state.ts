/**
 * A bounded map from subject keys (an account, an address, a client) to per-subject state, as a plain JSON value.
 * Keys are attacker-chosen strings, so they are stored with a prefix: no key can collide with an Object
 * prototype property such as `__proto__` or `constructor`.
 *
 * Memory is bounded by `maxKeys`. When an insert makes the map larger, entries idle longer than `idleMs` go
 * first, then the least recently touched ones, down to 90% of `maxKeys` (amortised O(log n) per insert).
 * Evictions are counted so a detector can say when it is under memory pressure (a flood of fresh keys is
 * itself a signal, and it can push out a slow attacker's history).
 */

export interface KeyedLimits {
  maxKeys: number;
  /** An entry not touched for this long may be dropped. */
  idleMs: number;
}

export interface KeyedState<T> {
  /** Prefixed key → [last touched, state]. */
  e: Record<string, [number, T]>;
  /** Number of entries in `e`. */
  n: number;
  /** Entries evicted while still within `idleMs`, since the state was created. */
  evicted: number;
}

const PREFIX = 'k:';

export function emptyKeyed<T>(): KeyedState<T> {
  return { e: {}, n: 0, evicted: 0 };
}

export function getKeyed<T>(s: KeyedState<T>, key: string): T | undefined {
  const entry = Object.hasOwn(s.e, PREFIX + key) ? s.e[PREFIX + key] : undefined;
  return entry?.[1];
}

/** Returns the state for `key`, creating it with `create()`, and marks it touched at `now`. */
export function touchKeyed<T>(s: KeyedState<T>, key: string, now: number, limits: KeyedLimits, create: () => T): T {
  const k = PREFIX + key;
  const entry = Object.hasOwn(s.e, k) ? s.e[k] : undefined;
  if (entry) {
    if (now > entry[0]) entry[0] = now;
    return entry[1];
  }
  const value = create();
  s.e[k] = [now, value];
  s.n++;
  if (s.n > limits.maxKeys) shrinkKeyed(s, now, limits);
  return value;
}

export function deleteKeyed<T>(s: KeyedState<T>, key: string): void {
  const k = PREFIX + key;
  if (Object.hasOwn(s.e, k)) {
    delete s.e[k];
    s.n--;
  }
}

function shrinkKeyed<T>(s: KeyedState<T>, now: number, limits: KeyedLimits): void {
  const target = Math.floor(limits.maxKeys * 0.9);
  const entries = Object.entries(s.e).sort((a, b) => a[1][0] - b[1][0]);
  for (const [k, [touched]] of entries) {
    if (s.n <= target) break;
    if (touched > now - limits.idleMs) s.evicted++;
    delete s.e[k];
    s.n--;
  }
}

/** Drops entries idle for longer than `idleMs` (call once per batch). */
export function expireKeyed<T>(s: KeyedState<T>, now: number, limits: KeyedLimits): void {
  for (const k of Object.keys(s.e)) {
    if ((s.e[k] as [number, T])[0] <= now - limits.idleMs) {
      delete s.e[k];
      s.n--;
    }
  }
}

/** Keys and states, for inspection and tests. */
export function keyedEntries<T>(s: KeyedState<T>): Array<[string, T]> {
  return Object.entries(s.e).map(([k, [, v]]) => [k.slice(PREFIX.length), v]);
}
