/**
 * Impossible travel: successful sign-ins of one user from places too far apart for the time between them.
 *
 * Needs location on events (request.cf on Cloudflare, configured ingress headers on Kubernetes). Where the
 * deployment has none, the detector is off and its status says so; sign-ins that arrive without location are
 * counted, not guessed at.
 *
 * Geo-IP places an address at a city or region centroid, often tens to hundreds of km off, and VPNs and mobile
 * carriers egress far from the user. Short hops are therefore ignored (`minDistanceKm`), and a new sign-in is
 * compared with each of the user's recent sign-ins (not only the last), so a later event arriving early and
 * one VPN sighting among many are judged on the real pairs.
 */
import type { MonitorEvent } from '../../events/domain/decode.js';
import * as keyed from '../../windows/domain/keyed-state.js';
import { checkDuration, checkInteger, DetectorConfigError } from './config.js';
import { defineDetector } from './define.js';
import { type Finding, isSeverity, type Severity } from './finding.js';
import { haversineKm, speedKmh } from './geo.js';
import * as signals from './signals.js';

export interface ImpossibleTravelConfig {
  /**
   * Whether this deployment puts location on events: true on Cloudflare, true on Kubernetes only when GEO_HEADERS
   * names the ingress headers. Set by the composition root, not by operators.
   */
  locationAvailable: boolean;
  maxSpeedKmh: number;
  /** Above this speed the finding is `highSeverity` (a different continent within minutes). */
  highSpeedKmh: number;
  minDistanceKm: number;
  lookbackMs: number;
  /** Sign-ins remembered per user. */
  maxSightings: number;
  severity: Severity;
  highSeverity: Severity;
  limits: keyed.KeyedLimits;
}

/**
 * 1000 km/h is above airliner cruise speed (~900 km/h), so no real journey exceeds it; 500 km absorbs city-level
 * geo-IP error on both sightings. Sightings are kept 24 hours: the longest non-stop flights take about 19.
 * 5000 km/h (high) is a different continent within an hour or two: not a flight at all.
 */
export const IMPOSSIBLE_TRAVEL_DEFAULTS: ImpossibleTravelConfig = {
  locationAvailable: false,
  maxSpeedKmh: 1000,
  highSpeedKmh: 5000,
  minDistanceKm: 500,
  lookbackMs: 24 * 60 * 60_000,
  maxSightings: 8,
  severity: 'medium',
  highSeverity: 'high',
  limits: { maxKeys: 50_000, idleMs: 24 * 60 * 60_000 },
};

/** [time, latitude, longitude, country or '', event id, ip or ''] */
type Sighting = [number, number, number, string, string, string];

export interface ImpossibleTravelState {
  users: keyed.KeyedState<Sighting[]>;
  /** Successful sign-ins seen without location (should be 0 where location is available). */
  unlocated: number;
}

const ID = 'impossible_travel';

function observe(state: ImpossibleTravelState, event: MonitorEvent, config: ImpossibleTravelConfig, now: number) {
  const findings: Finding[] = [];
  if (!config.locationAvailable || event.type !== 'user.login_succeeded' || !event.userId) return { state, findings };
  if (!event.location) {
    state.unlocated++;
    return { state, findings };
  }
  const at = signals.eventTime(event, now);
  const { latitude, longitude, country } = event.location;
  const sightings = keyed.touchKeyed(state.users, event.userId, at, config.limits, () => []);
  // Forget what is outside the lookback, then compare with the farthest-implied-speed earlier sighting.
  const recent = sightings.filter((s) => Math.abs(at - s[0]) <= config.lookbackMs);
  let worst: { s: Sighting; km: number; speed: number } | undefined;
  for (const s of recent) {
    const km = haversineKm({ latitude: s[1], longitude: s[2] }, { latitude, longitude });
    if (km < config.minDistanceKm) continue;
    const speed = speedKmh(km, Math.abs(at - s[0]));
    if (speed > config.maxSpeedKmh && (!worst || speed > worst.speed)) worst = { s, km, speed };
  }
  if (worst) {
    const elapsed = Math.abs(at - worst.s[0]);
    const fromCountry = worst.s[3];
    findings.push(
      signals.makeFinding({
        detector: ID,
        kind: 'impossible_travel.sign_in',
        severity: worst.speed > config.highSpeedKmh ? config.highSeverity : config.severity,
        subject: { user_id: event.userId },
        summary: `sign-ins ${Math.round(worst.km)} km apart within ${elapsed < 60_000 ? 'under a minute' : signals.describeDuration(Math.round(elapsed / 60_000) * 60_000)}`,
        event,
        eventIds: [worst.s[4], event.eventId],
        evidence: {
          distance_km: Math.round(worst.km),
          elapsed_ms: elapsed,
          speed_kmh: Number.isFinite(worst.speed) ? Math.round(worst.speed) : 'instant',
          from: fromCountry || 'unknown',
          to: country ?? 'unknown',
          ...(worst.s[5] ? { from_ip: worst.s[5] } : {}),
          ...(event.ip ? { to_ip: event.ip } : {}),
        },
      }),
    );
  }
  recent.push([at, latitude, longitude, country ?? '', event.eventId, event.ip ?? '']);
  recent.sort((a, b) => a[0] - b[0]);
  if (recent.length > config.maxSightings) recent.splice(0, recent.length - config.maxSightings);
  sightings.splice(0, sightings.length, ...recent);
  return { state, findings };
}

export const impossibleTravel = defineDetector(ID, IMPOSSIBLE_TRAVEL_DEFAULTS, {
  description: 'Successful sign-ins of one user from places too far apart for the time between them',
  check(c) {
    if (!(c.maxSpeedKmh > 0) || !(c.highSpeedKmh >= c.maxSpeedKmh))
      throw new DetectorConfigError('highSpeedKmh', 'must be >= maxSpeedKmh > 0');
    if (!(c.minDistanceKm >= 0 && c.minDistanceKm <= 20_100))
      throw new DetectorConfigError('minDistanceKm', 'must be in 0..20100');
    checkDuration(c.lookbackMs, 'lookbackMs');
    checkInteger(c.maxSightings, 'maxSightings', 2, 100);
    if (!isSeverity(c.severity)) throw new DetectorConfigError('severity', 'must be a severity');
    if (!isSeverity(c.highSeverity)) throw new DetectorConfigError('highSeverity', 'must be a severity');
  },
  status: (config) =>
    config.locationAvailable
      ? { active: true }
      : {
          active: false,
          reason:
            'no location on events: off Cloudflare, set GEO_HEADERS to the headers the ingress fills from a GeoIP database',
        },
  initialState: () => ({ users: keyed.emptyKeyed(), unlocated: 0 }),
  observe,
  keyedMaps: (state) => [state.users],
});
