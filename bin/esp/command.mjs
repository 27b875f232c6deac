// What the command groups share: a list printed as a table, and a sub-command on one resource of a collection.
import { UsageError } from './errors.mjs';
import { api, enc, query } from './http.mjs';
import { need } from './input.mjs';
import { table } from './output.mjs';

/**
 * A list command: GET `path` (with the flags named in `filters` as its query) and print the array under `key` as a
 * table of `columns` (the API's JSON with --json).
 */
export function listing(path, key, columns, filters = []) {
  return async (conn, args, out) => {
    const result = await api(conn, 'GET', `${path}${query(args.flags, filters)}`);
    return out.json ? out(result) : out(table(result[key], columns));
  };
}

/**
 * `esp <group> <sub> <id>`: the request on `<collection>/<id>` that `actions[sub]` ([method, path after the id])
 * names; `get` and `show` read the resource.
 */
export function target(args, collection, what, actions) {
  const [sub] = args.positional;
  const id = need(args.positional, 1, what);
  const action = sub === 'get' || sub === 'show' ? ['GET', ''] : actions[sub];
  if (!action) throw new UsageError(`unknown ${collection.replace('/v1/', '')} command "${sub}"`);
  return { sub, id, method: action[0], path: `${collection}/${enc(id)}${action[1]}` };
}

/**
 * A command group: `esp <group> [<sub>] …` runs `handlers[sub]` (`list` when no sub-command is given), and any other
 * sub-command `other` (a sub-command on one resource, see `target`) when the group has one.
 */
export function group(name, handlers, other) {
  return (conn, args, out) => {
    const sub = args.positional[0] ?? 'list';
    const handler = Object.hasOwn(handlers, sub) ? handlers[sub] : other;
    if (!handler) throw new UsageError(`unknown ${name} command "${sub}"`);
    return handler(conn, args, out, sub);
  };
}
