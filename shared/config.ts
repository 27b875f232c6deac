/**
 * Typed configuration read from a Worker's `env` bindings.
 *
 * Each Worker declares its variables once (`workers/<name>/src/variables.ts`: name → field). That one declaration gives
 * the Worker's `Env` type, its configuration reader, the variables the generated workerd config binds, and what
 * `npm run k8s:check` requires. A field knows whether the variable is required (no default, not optional), for a
 * deprecated name, which variable it is an alias of, and whether each Worker has a value of its own.
 */

/**
 * A missing or malformed variable. The message names the variable and what is wrong with it, never the value of a
 * URL or a secret (it reaches logs and the 500 path); `/ready` reports only the names (`variables`).
 */
export class ConfigError extends Error {
  readonly code = 'ERR_CONFIG';
  /** Every variable found wrong in the same read (this one first). */
  variables: string[];
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`configuration variable ${variable} ${reason}`);
    this.name = 'ConfigError';
    this.variables = [variable];
  }
}

export interface Field<T> {
  parse(raw: unknown, name: string): T;
  /** True when the variable has no default and may not be absent. */
  readonly required?: boolean;
  /** A deprecated name: its value is read as the named variable's when that one is unset. */
  readonly aliasOf?: string;
  /**
   * Each Worker has its own value (a credential limited to that Worker). Where one process hosts every Worker (the
   * generated platform config of `npm start`, tests and bench) it is read from `<NAME>_<WORKER>`; a Worker alone in
   * its process (Kubernetes) or on Cloudflare reads the plain name.
   */
  readonly perWorker?: boolean;
}

type Raw = unknown;

function present(raw: Raw): raw is string | number | boolean {
  return raw !== undefined && raw !== null && raw !== '';
}

function text(raw: Raw, name: string): string {
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
  throw new ConfigError(name, 'must be a string');
}

/**
 * A field read from one text value: absent means `default`, or "is missing" when there is none. `parse` gets the
 * text, and names the variable in its errors. The building block of every field below, and of a Worker's own.
 */
export function scalar<T>(parse: (value: string, name: string) => T, opts: { default?: T } = {}): Field<T> {
  return {
    required: opts.default === undefined,
    parse(raw, name) {
      if (present(raw)) return parse(text(raw, name), name);
      if (opts.default !== undefined) return opts.default;
      throw new ConfigError(name, 'is missing');
    },
  };
}

/** The same field, but absent is `undefined` (never required). */
export function optional<T>(field: Field<T>): Field<T | undefined> {
  return { parse: (raw, name) => (present(raw) ? field.parse(raw, name) : undefined) };
}

function bounded(n: number, name: string, opts: { min?: number; max?: number }): number {
  if (opts.min !== undefined && n < opts.min) throw new ConfigError(name, `must be >= ${opts.min}`);
  if (opts.max !== undefined && n > opts.max) throw new ConfigError(name, `must be <= ${opts.max}`);
  return n;
}

/** A required or defaulted string. */
export function str(opts: { default?: string; minLength?: number } = {}): Field<string> {
  return scalar((value, name) => {
    if (opts.minLength !== undefined && value.length < opts.minLength) {
      throw new ConfigError(name, `must be at least ${opts.minLength} characters`);
    }
    return value;
  }, opts);
}

/** A string that may be absent (undefined). */
export function optionalStr(opts: { minLength?: number } = {}): Field<string | undefined> {
  return optional(str(opts));
}

/** A non-negative decimal such as `0.5` (refill rates below one token per second are normal). */
export function decimal(opts: { default: number; min: number; max: number }): Field<number> {
  return scalar((value, name) => {
    const s = value.trim();
    if (!/^\d+(\.\d+)?$/.test(s)) throw new ConfigError(name, `must be a decimal number, got "${s}"`);
    return bounded(Number(s), name, opts);
  }, opts);
}

export function int(opts: { default?: number; min?: number; max?: number } = {}): Field<number> {
  return scalar((value, name) => {
    const s = value.trim();
    if (!/^-?\d+$/.test(s)) throw new ConfigError(name, `must be an integer, got "${s}"`);
    return bounded(Number(s), name, opts);
  }, opts);
}

export function bool(opts: { default?: boolean } = {}): Field<boolean> {
  return scalar((value, name) => {
    const s = value.trim().toLowerCase();
    if (s === 'true' || s === '1' || s === 'yes') return true;
    if (s === 'false' || s === '0' || s === 'no') return false;
    throw new ConfigError(name, `must be true or false, got "${s}"`);
  }, opts);
}

export function url(opts: { default?: string; protocols?: string[] } = {}): Field<string> {
  return scalar((value, name) => {
    const s = value.trim();
    let parsed: URL;
    // Never the value itself: URLs carry passwords (DATABASE_URL) and internal host names.
    try {
      parsed = new URL(s);
    } catch {
      throw new ConfigError(name, 'must be an absolute URL');
    }
    if (opts.protocols && !opts.protocols.includes(parsed.protocol)) {
      throw new ConfigError(name, `must use ${opts.protocols.join(' or ')}, not ${parsed.protocol}`);
    }
    return s;
  }, opts);
}

export function optionalUrl(opts: { protocols?: string[] } = {}): Field<string | undefined> {
  return optional(url(opts));
}

/** Comma-separated list; empty entries dropped. */
export function list(opts: { default?: string[] } = {}): Field<string[]> {
  return {
    parse(raw, name) {
      if (!present(raw)) return opts.default ?? [];
      return text(raw, name)
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    },
  };
}

export function oneOf<const T extends string>(values: readonly T[], opts: { default?: T } = {}): Field<T> {
  return scalar((value, name) => {
    const s = value.trim() as T;
    if (!values.includes(s)) throw new ConfigError(name, `must be one of ${values.join(', ')}, got "${s}"`);
    return s;
  }, opts);
}

/** The same field, with a value of its own per Worker (see `Field.perWorker`). */
export function perWorker<T>(field: Field<T>): Field<T> {
  return { ...field, perWorker: true };
}

/** A deprecated variable name: read as `target` when `target` itself is unset; both set and different is an error. */
export function aliasOf<T>(target: string, field: Field<T>): Field<T | undefined> {
  return { aliasOf: target, parse: (raw, name) => (present(raw) ? field.parse(raw, name) : undefined) };
}

export type Spec = Record<string, Field<unknown>>;
export type ConfigOf<S extends Spec> = { readonly [K in keyof S]: S[K] extends Field<infer T> ? T : never };
/** The raw bindings a declaration describes: strings as wrangler and workerd deliver them. */
export type VariablesOf<S extends Spec> = { [K in keyof S]?: string };

/** The variables of a configuration that hold numbers. */
type NumericName<C> = { [K in keyof C]: C[K] extends number ? K : never }[keyof C] & string;

/** How one duration must compare with another, and what the error says when it does not. */
const ORDERINGS = {
  '<=': { holds: (a: number, b: number) => a <= b, reason: 'must not exceed' },
  '<': { holds: (a: number, b: number) => a < b, reason: 'must be shorter than' },
  '>=': { holds: (a: number, b: number) => a >= b, reason: 'must not be shorter than' },
};

/** A rule between two variables that no single field can check: `[A, '<=', B]`. */
export type Ordering<C> = readonly [NumericName<C>, keyof typeof ORDERINGS, NumericName<C>];

/** Throws a ConfigError naming the first variable of the first ordering that `config` breaks. */
export function checkOrder<C>(config: C, orderings: readonly Ordering<C>[]): void {
  for (const [a, op, b] of orderings) {
    const { holds, reason } = ORDERINGS[op];
    if (!holds(config[a] as number, config[b] as number)) throw new ConfigError(a, `${reason} ${b}`);
  }
}

/**
 * Returns a reader that parses `env` against `spec` once per env object.
 * Every error is collected, so an operator sees all bad variables at once (the first is the thrown error's message).
 * `check` then makes the checks across variables that a single field cannot (throwing ConfigError); a configuration
 * is kept only once it passes.
 */
export function defineConfig<S extends Spec>(
  spec: S,
  check?: (config: ConfigOf<S>) => void,
): (env: object) => ConfigOf<S> {
  const cache = new WeakMap<object, ConfigOf<S>>();
  return (env) => {
    const hit = cache.get(env);
    if (hit) return hit;
    const out: Record<string, unknown> = {};
    const errors: ConfigError[] = [];
    const raw = env as Record<string, unknown>;
    for (const [name, f] of Object.entries(spec)) {
      try {
        out[name] = f.parse(raw[name], name);
      } catch (err) {
        if (err instanceof ConfigError) errors.push(err);
        else throw err;
      }
    }
    // Aliases: an old name fills in for its target when the target is unset; disagreeing values are refused.
    for (const [name, f] of Object.entries(spec)) {
      const target = f.aliasOf;
      if (target === undefined || out[name] === undefined || errors.some((e) => e.variable === name)) continue;
      if (!present(raw[target])) out[target] = out[name];
      else if (out[target] !== out[name]) {
        errors.push(
          new ConfigError(
            name,
            `is "${String(out[name])}" but ${target} is "${String(out[target])}": set only ${target}`,
          ),
        );
      }
    }
    if (errors.length > 0) {
      const first = errors[0] as ConfigError;
      first.variables = errors.map((e) => e.variable);
      if (errors.length > 1)
        first.message += ` (and ${errors
          .slice(1)
          .map((e) => e.variable)
          .join(', ')})`;
      throw first;
    }
    const config = Object.freeze(out) as ConfigOf<S>;
    check?.(config);
    cache.set(env, config);
    return config;
  };
}
