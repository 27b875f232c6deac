/**
 * Detector configuration: defaults overridden by a JSON object from configuration or the admin API. Overrides
 * must have the shape of the defaults (same keys, same types); arrays are replaced whole. Unknown keys are an
 * error, so a misspelt threshold never silently leaves the default in place.
 */
import { InputError } from '../../api/domain/input-error.js';
import { isSeverity, type Severity } from './finding.js';

export class DetectorConfigError extends InputError {
  readonly code = 'invalid_detector_config';
  readonly path = this.at;
}

type Plain = null | boolean | number | string | Plain[] | { [k: string]: Plain };

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function mergeValue(template: unknown, input: unknown, path: string, whole: boolean): unknown {
  if (typeof template === 'number') {
    if (typeof input !== 'number' || !Number.isFinite(input) || input < 0)
      throw new DetectorConfigError(path, 'must be a non-negative number');
    return input;
  }
  if (typeof template === 'boolean' || typeof template === 'string') {
    if (typeof input !== typeof template) throw new DetectorConfigError(path, `must be a ${typeof template}`);
    return input;
  }
  if (Array.isArray(template)) {
    if (!Array.isArray(input)) throw new DetectorConfigError(path, 'must be an array');
    if (input.length > 1000) throw new DetectorConfigError(path, 'has more than 1000 items');
    const item = template[0];
    return input.map((v, i) =>
      item === undefined
        ? mergeValue('', v, `${path}[${i}]`, true) // an empty default list holds strings
        : mergeValue(item, v, `${path}[${i}]`, true),
    );
  }
  if (isObject(template)) {
    if (!isObject(input)) throw new DetectorConfigError(path, 'must be an object');
    for (const k of Object.keys(input))
      if (!Object.hasOwn(template, k)) throw new DetectorConfigError(path ? `${path}.${k}` : k, 'unknown setting');
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(template)) {
      const sub = path ? `${path}.${k}` : k;
      if (Object.hasOwn(input, k)) out[k] = mergeValue(template[k], input[k], sub, whole);
      else if (whole) throw new DetectorConfigError(sub, 'is required');
      else out[k] = template[k];
    }
    return out;
  }
  throw new DetectorConfigError(path, 'cannot be configured');
}

/** Defaults overridden by `input` (undefined or null keeps the defaults). */
export function mergeConfig<C>(defaults: C, input: unknown): C {
  if (input === undefined || input === null) return structuredClone(defaults);
  return mergeValue(defaults as Plain, input, '', false) as C;
}

export interface Tier {
  count: number;
  severity: Severity;
}

/** The usual ladder of the defaults: `medium` at one count, `high` at a larger one. */
export function mediumThenHigh(medium: number, high: number): Tier[] {
  return [
    { count: medium, severity: 'medium' },
    { count: high, severity: 'high' },
  ];
}

/** A threshold ladder: counts strictly ascending positive integers, severities never decreasing. */
export function checkTiers(tiers: readonly Tier[], path: string, maxCount = 10_000): void {
  if (tiers.length === 0) throw new DetectorConfigError(path, 'needs at least one tier');
  let prev: Tier | undefined;
  tiers.forEach((t, i) => {
    if (!Number.isSafeInteger(t.count) || t.count < 1 || t.count > maxCount)
      throw new DetectorConfigError(`${path}[${i}].count`, `must be an integer in 1..${maxCount}`);
    if (!isSeverity(t.severity)) throw new DetectorConfigError(`${path}[${i}].severity`, 'must be a severity');
    if (prev && t.count <= prev.count) throw new DetectorConfigError(`${path}[${i}].count`, 'must be ascending');
    prev = t;
  });
}

/** A duration in ms: an integer within bounds. */
export function checkDuration(ms: number, path: string, min = 1000, max = 90 * 24 * 3600_000): void {
  if (!Number.isSafeInteger(ms) || ms < min || ms > max)
    throw new DetectorConfigError(path, `must be an integer number of ms in ${min}..${max}`);
}

export function checkInteger(n: number, path: string, min: number, max: number): void {
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new DetectorConfigError(path, `must be an integer in ${min}..${max}`);
}

/** The memory bounds of a detector's keyed state (see windows/domain/keyed-state.ts). */
export function checkLimits(limits: { maxKeys: number; idleMs: number }, path = 'limits'): void {
  checkInteger(limits.maxKeys, `${path}.maxKeys`, 10, 1_000_000);
  checkDuration(limits.idleMs, `${path}.idleMs`);
}

export function checkRatio(n: number, path: string): void {
  if (!(n >= 0 && n <= 1)) throw new DetectorConfigError(path, 'must be between 0 and 1');
}
