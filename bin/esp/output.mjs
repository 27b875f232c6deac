// Output: tables and field lists for people; `--json` prints the API's JSON unchanged for scripts.

/** A writer to stdout; `out.json` says whether --json was given. */
export function writer(json) {
  const out = (value) => {
    process.stdout.write(`${typeof value === 'string' ? value : JSON.stringify(value, null, 2)}\n`);
  };
  out.json = json;
  return out;
}

export function cell(value) {
  if (value === null || value === undefined) return '-';
  if (Array.isArray(value)) return value.join(',') || '-';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** columns: (key | [key or (row) => value, title])[]; a key alone is its own title. */
export function table(rows, specs) {
  const columns = specs.map((c) => (typeof c === 'string' ? [c, c] : c));
  if (rows.length === 0) return '(none)';
  const widths = columns.map(([, title]) => title.length);
  const cells = rows.map((row) =>
    columns.map(([key], i) => {
      const text = cell(typeof key === 'function' ? key(row) : row[key]);
      widths[i] = Math.max(widths[i], text.length);
      return text;
    }),
  );
  const line = (parts) =>
    parts
      .map((p, i) => p.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(columns.map(([, title]) => title.toUpperCase())), ...cells.map(line)].join('\n');
}

export function fields(obj, names) {
  const width = Math.max(...names.map((n) => n.length));
  return names.map((n) => `${n.padEnd(width)}  ${cell(obj[n])}`).join('\n');
}
