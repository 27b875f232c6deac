/**
 * Isolate caches are Maps bounded by entry count: inserting into a full one drops the oldest insertion (Maps iterate
 * in insertion order), and a key set again moves to the end, so what is used keeps its place.
 */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  if (map.size >= max) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
  map.set(key, value);
}
