/**
 * Runs every detector over a batch of decoded events. The consumer (wired later) loads the detectors' state,
 * calls `runDetectors` once per batch read from the stream, stores the returned state, and turns the findings
 * into alerts. Events of types the catalogue does not know are counted and skipped.
 */
import type { MonitorEvent } from '../../events/domain/decode.js';
import { adminAnomalies } from './admin-anomalies.js';
import { bruteForce } from './brute-force.js';
import { clientSecretGuessing } from './client-secret-guessing.js';
import { DetectorConfigError } from './config.js';
import { credentialStuffing } from './credential-stuffing.js';
import type { Detector, DetectorStatus, Finding } from './finding.js';
import { floods } from './floods.js';
import { impossibleTravel } from './impossible-travel.js';
import { tokenReuse } from './token-reuse.js';

export const DETECTORS = [
  bruteForce,
  credentialStuffing,
  clientSecretGuessing,
  tokenReuse,
  impossibleTravel,
  adminAnomalies,
  floods,
] as const satisfies ReadonlyArray<Detector<any, any>>;

export type DetectorId = (typeof DETECTORS)[number]['id'];
export type DetectorConfigs = Record<string, unknown>;
export type DetectorStates = Record<string, unknown>;

/** What the deployment knows that operators do not configure. */
export interface DeploymentFacts {
  /** request.cf on Cloudflare, or GEO_HEADERS set on Kubernetes. */
  locationAvailable: boolean;
}

/**
 * Each detector's configuration: its defaults overridden by `overrides[id]`. Throws DetectorConfigError naming
 * the detector and setting; unknown detector ids are an error too.
 */
export function parseDetectorConfigs(overrides: Record<string, unknown>, facts: DeploymentFacts): DetectorConfigs {
  for (const id of Object.keys(overrides))
    if (!DETECTORS.some((d) => d.id === id)) throw new DetectorConfigError(id, 'unknown detector');
  const configs: DetectorConfigs = {};
  for (const d of DETECTORS as ReadonlyArray<Detector<any, any>>) {
    let input = overrides[d.id];
    if (d.id === impossibleTravel.id)
      input = { ...((input as object) ?? {}), locationAvailable: facts.locationAvailable };
    try {
      configs[d.id] = d.parseConfig(input);
    } catch (err) {
      if (err instanceof DetectorConfigError) throw new DetectorConfigError(`${d.id}.${err.path}`, err.message);
      throw err;
    }
  }
  return configs;
}

export function initialDetectorStates(): DetectorStates {
  const states: DetectorStates = {};
  for (const d of DETECTORS as ReadonlyArray<Detector<any, any>>) states[d.id] = d.initialState();
  return states;
}

export function detectorStatuses(configs: DetectorConfigs): Record<string, DetectorStatus> {
  const out: Record<string, DetectorStatus> = {};
  for (const d of DETECTORS as ReadonlyArray<Detector<any, any>>) out[d.id] = d.status(configs[d.id]);
  return out;
}

export interface BatchResult {
  states: DetectorStates;
  findings: Finding[];
  /** Events whose type the catalogue does not know (skipped). */
  unknownTypes: number;
}

/** Runs all active detectors over `events` in order, then compacts their state. Takes ownership of `states`. */
export function runDetectors(
  states: DetectorStates,
  events: readonly MonitorEvent[],
  configs: DetectorConfigs,
  now: number,
): BatchResult {
  const active = (DETECTORS as ReadonlyArray<Detector<any, any>>).filter((d) => d.status(configs[d.id]).active);
  const findings: Finding[] = [];
  let unknownTypes = 0;
  for (const d of active) states[d.id] ??= d.initialState();
  for (const event of events) {
    if (!event.known) {
      unknownTypes++;
      continue;
    }
    for (const d of active) {
      const r = d.observe(states[d.id], event, configs[d.id], now);
      states[d.id] = r.state;
      if (r.findings.length > 0) findings.push(...r.findings);
    }
  }
  for (const d of active) states[d.id] = d.compact(states[d.id], configs[d.id], now);
  return { states, findings, unknownTypes };
}
