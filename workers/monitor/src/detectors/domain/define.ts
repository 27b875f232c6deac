/**
 * Builds a Detector from what differs between detectors: the checks of a merged configuration, the initial state,
 * the step, and the keyed maps the state holds. Everything else is the same for all of them: the configuration is
 * the defaults overridden by a JSON object (config.ts), a detector is active unless its `status` says otherwise,
 * and compaction forgets subjects idle past `config.limits` in each keyed map.
 */
import { expireKeyed, type KeyedLimits, type KeyedState } from '../../windows/domain/keyed-state.js';
import { checkLimits, mergeConfig } from './config.js';
import type { Detector, DetectorStatus } from './finding.js';

export function defineDetector<S, C>(
  id: string,
  defaults: C,
  spec: {
    description: string;
    /** Validates the merged configuration; throws DetectorConfigError. */
    check?: (config: C) => void;
    status?: (config: C) => DetectorStatus;
    initialState: () => S;
    observe: Detector<S, C>['observe'];
    /** The keyed maps of the state (windows/domain/keyed-state.ts), bounded by `config.limits`. */
    keyedMaps?: (state: S) => KeyedState<unknown>[];
  },
): Detector<S, C> {
  const { keyedMaps } = spec;
  // A detector with keyed maps has `limits` in its configuration (the checks below hold it to that).
  const limitsOf = (config: C) => (config as { limits: KeyedLimits }).limits;
  return {
    id,
    description: spec.description,
    defaults,
    parseConfig(input) {
      const config = mergeConfig(defaults, input);
      spec.check?.(config);
      if (keyedMaps) checkLimits(limitsOf(config));
      return config;
    },
    status: spec.status ?? (() => ({ active: true })),
    initialState: spec.initialState,
    observe: spec.observe,
    compact(state, config, now) {
      for (const map of keyedMaps?.(state) ?? []) expireKeyed(map, now, limitsOf(config));
      return state;
    },
  };
}
