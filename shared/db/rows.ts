/** Mapping Postgres rows to the records storage adapters return. */

/**
 * The named columns of `row`, as they are. An allowlist: a column added to the table later (a hash, a secret) stays
 * out of the record until someone names it.
 */
export function columns<R, K extends keyof R>(row: R, ...names: K[]): Pick<R, K> {
  const out = {} as Pick<R, K>;
  for (const name of names) out[name] = row[name];
  return out;
}
