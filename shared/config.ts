/**
 * Typed configuration read from a Worker's `env` bindings.
 *
 * Each Worker declares a spec (variable name → parser). The spec is parsed on first use and cached per env
 * object, so a missing or malformed variable fails loudly with its name, and the hot path pays nothing after.
 */

export class ConfigError extends Error {
  readonly code = 'ERR_CONFIG';
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`configuration variable ${variable} ${reason}`);
    this.name = 'ConfigError';
  }
}

export interface Field<T> {
  parse(raw: unknown, name: string): T;
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

/** A required or defaulted string. */
export function str(opts: { default?: string; minLength?: number } = {}): Field<string> {
  return {
    parse(raw, name) {
      if (!present(raw)) {
        if (opts.default !== undefined) return opts.default;
        throw new ConfigError(name, 'is missing');
      }
      const value = text(raw, name);
      if (opts.minLength !== undefined && value.length < opts.minLength) {
        throw new ConfigError(name, `must be at least ${opts.minLength} characters`);
      }
      return value;
    },
  };
}

/** A string that may be absent (undefined). */
export function optionalStr(opts: { minLength?: number } = {}): Field<string | undefined> {
  const inner = str(opts);
  return { parse: (raw, name) => (present(raw) ? inner.parse(raw, name) : undefined) };
}

export function int(opts: { default?: number; min?: number; max?: number } = {}): Field<number> {
  return {
    parse(raw, name) {
      if (!present(raw)) {
        if (opts.default !== undefined) return opts.default;
        throw new ConfigError(name, 'is missing');
      }
      const s = text(raw, name).trim();
      if (!/^-?\d+$/.test(s)) throw new ConfigError(name, `must be an integer, got "${s}"`);
      const n = Number(s);
      if (opts.min !== undefined && n < opts.min) throw new ConfigError(name, `must be >= ${opts.min}`);
      if (opts.max !== undefined && n > opts.max) throw new ConfigError(name, `must be <= ${opts.max}`);
      return n;
    },
  };
}

export function bool(opts: { default?: boolean } = {}): Field<boolean> {
  return {
    parse(raw, name) {
      if (!present(raw)) {
        if (opts.default !== undefined) return opts.default;
        throw new ConfigError(name, 'is missing');
      }
      const s = text(raw, name).trim().toLowerCase();
      if (s === 'true' || s === '1' || s === 'yes') return true;
      if (s === 'false' || s === '0' || s === 'no') return false;
      throw new ConfigError(name, `must be true or false, got "${s}"`);
    },
  };
}

export function url(opts: { default?: string; protocols?: string[]; optional?: boolean } = {}): Field<string> {
  return {
    parse(raw, name) {
      if (!present(raw)) {
        if (opts.default !== undefined) return opts.default;
        throw new ConfigError(name, 'is missing');
      }
      const s = text(raw, name).trim();
      let parsed: URL;
      try {
        parsed = new URL(s);
      } catch {
        throw new ConfigError(name, `must be an absolute URL, got "${s}"`);
      }
      if (opts.protocols && !opts.protocols.includes(parsed.protocol)) {
        throw new ConfigError(name, `must use ${opts.protocols.join(' or ')}`);
      }
      return s;
    },
  };
}

export function optionalUrl(opts: { protocols?: string[] } = {}): Field<string | undefined> {
  const inner = url(opts);
  return { parse: (raw, name) => (present(raw) ? inner.parse(raw, name) : undefined) };
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
  return {
    parse(raw, name) {
      if (!present(raw)) {
        if (opts.default !== undefined) return opts.default;
        throw new ConfigError(name, 'is missing');
      }
      const s = text(raw, name).trim() as T;
      if (!values.includes(s)) throw new ConfigError(name, `must be one of ${values.join(', ')}, got "${s}"`);
      return s;
    },
  };
}

export type Spec = Record<string, Field<unknown>>;
export type ConfigOf<S extends Spec> = { readonly [K in keyof S]: S[K] extends Field<infer T> ? T : never };

/**
 * Returns a reader that parses `env` against `spec` once per env object.
 * Every error is collected, so an operator sees all bad variables at once (the first is the thrown error's message).
 */
export function defineConfig<S extends Spec>(spec: S): (env: object) => ConfigOf<S> {
  const cache = new WeakMap<object, ConfigOf<S>>();
  return (env) => {
    const hit = cache.get(env);
    if (hit) return hit;
    const out: Record<string, unknown> = {};
    const errors: ConfigError[] = [];
    for (const [name, field] of Object.entries(spec)) {
      try {
        out[name] = field.parse((env as Record<string, unknown>)[name], name);
      } catch (err) {
        if (err instanceof ConfigError) errors.push(err);
        else throw err;
      }
    }
    if (errors.length > 0) {
      const first = errors[0] as ConfigError;
      if (errors.length > 1)
        first.message += ` (and ${errors
          .slice(1)
          .map((e) => e.variable)
          .join(', ')})`;
      throw first;
    }
    const config = Object.freeze(out) as ConfigOf<S>;
    cache.set(env, config);
    return config;
  };
}
