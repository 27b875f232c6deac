/**
 * The key-encryption keys (KEKs) a Worker holds: the current one (KEY_ENCRYPTION_KEY, named KEK_ID), which seals
 * everything new, and the retired ones (KEY_ENCRYPTION_KEYS_RETIRED), which only open what was sealed before a
 * rotation. Each sealed value is stored with the id of its KEK, so opening it never guesses.
 */

export interface KekConfig {
  KEK_ID: string;
  KEY_ENCRYPTION_KEY: Uint8Array;
  KEY_ENCRYPTION_KEYS_RETIRED: ReadonlyMap<string, Uint8Array>;
}

/** The KEK named `id`, or undefined when this Worker holds no KEK by that name (it was retired and dropped). */
export function kekNamed(config: KekConfig, id: string): Uint8Array | undefined {
  return id === config.KEK_ID ? config.KEY_ENCRYPTION_KEY : config.KEY_ENCRYPTION_KEYS_RETIRED.get(id);
}

/** Every KEK by id, the current one first (it wins over a retired entry of the same name). */
export function allKeks(config: KekConfig): [string, Uint8Array][] {
  return [
    [config.KEK_ID, config.KEY_ENCRYPTION_KEY],
    ...[...config.KEY_ENCRYPTION_KEYS_RETIRED].filter(([id]) => id !== config.KEK_ID),
  ];
}
