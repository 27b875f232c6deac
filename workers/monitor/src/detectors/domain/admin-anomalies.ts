/**
 * Administrative anomalies: a policy published or activated outside the change windows, or by an actor not
 * seen doing so before; an emergency (immediate) signing-key rotation; bursts of denied admin authorizations.
 *
 * "Seen before" is a bounded memory of actors. A fresh deployment knows nobody, so new-actor findings start
 * only after a learning period (actors listed in `knownActors` are known from the start).
 */
import { detailString, type MonitorEvent } from '../../events/domain/decode.js';
import {
  countDistinct,
  type DistinctWindow,
  emptyDistinct,
  hasDistinct,
  observeDistinct,
} from '../../windows/domain/distinct-window.js';
import * as keyed from '../../windows/domain/keyed-state.js';
import { type ChangeSchedule, ChangeWindowError, inChangeWindow, parseChangeSchedule } from './change-window.js';
import { checkDuration, checkInteger, DetectorConfigError, mediumThenHigh } from './config.js';
import { defineDetector } from './define.js';
import { type Finding, isSeverity, maxSeverity, type Severity } from './finding.js';
import * as signals from './signals.js';

export interface AdminAnomaliesConfig {
  /** Change-window schedule (see change-window.ts); empty turns the outside-window rule off. */
  changeWindows: string;
  outsideWindow: { publishSeverity: Severity; activateSeverity: Severity };
  newActor: {
    enabled: boolean;
    /** No new-actor findings until the detector has watched this long. */
    learningMs: number;
    /** An actor not seen for this long is new again. */
    memoryMs: number;
    maxActors: number;
    knownActors: string[];
    severity: Severity;
  };
  emergencyRotation: { triggers: string[]; severity: Severity };
  /** Denied admin authorizations per actor (or per address when the actor is unknown). */
  deniedBursts: signals.CountSignalConfig;
  limits: keyed.KeyedLimits;
}

/**
 * Activation changes live authorization decisions at once (high outside a window); publishing alone does not
 * (medium). Two weeks of learning covers a usual on-call rotation; 90 days of memory makes a returning quarterly
 * operator count as known. An immediate rotation discards the current key without overlap: only done when a key
 * is believed compromised (high). Five denials in 10 minutes is the lockout scale used for sign-ins, for
 * credentials that should almost never be denied; 20 is probing (high).
 */
export const ADMIN_ANOMALIES_DEFAULTS: AdminAnomaliesConfig = {
  changeWindows: '',
  outsideWindow: { publishSeverity: 'medium', activateSeverity: 'high' },
  newActor: {
    enabled: true,
    learningMs: 14 * 24 * 60 * 60_000,
    memoryMs: 90 * 24 * 60 * 60_000,
    maxActors: 1000,
    knownActors: [],
    severity: 'medium',
  },
  emergencyRotation: { triggers: ['admin_immediate'], severity: 'high' },
  deniedBursts: {
    windowMs: 10 * 60_000,
    buckets: 10,
    tiers: mediumThenHigh(5, 20),
  },
  limits: { maxKeys: 10_000, idleMs: 60 * 60_000 },
};

export interface AdminAnomaliesState {
  /** Time of the first event seen (start of learning). */
  since?: number;
  actors: DistinctWindow;
  denied: keyed.KeyedState<signals.CountSignalState>;
}

const ID = 'admin_anomalies';
const POLICY_CHANGES = new Set(['policy.published', 'policy.activated']);

const schedules = new Map<string, ChangeSchedule>();
function scheduleOf(text: string): ChangeSchedule {
  let s = schedules.get(text);
  if (!s) {
    s = parseChangeSchedule(text);
    if (schedules.size > 16) schedules.clear();
    schedules.set(text, s);
  }
  return s;
}

function actorOf(event: MonitorEvent): string | undefined {
  return detailString(event, 'actor', 128) ?? detailString(event, 'admin', 128);
}

function policyChange(state: AdminAnomaliesState, event: MonitorEvent, config: AdminAnomaliesConfig, at: number) {
  const findings: Finding[] = [];
  const actor = actorOf(event);
  const activation = event.type === 'policy.activated';
  const version = event.details.version;
  const evidence = {
    ...(actor ? { actor } : {}),
    ...(typeof version === 'number' ? { version } : {}),
    ...(event.ip ? { ip: event.ip } : {}),
  };
  const schedule = scheduleOf(config.changeWindows);
  if (schedule.length > 0 && !inChangeWindow(schedule, at)) {
    const severity = activation ? config.outsideWindow.activateSeverity : config.outsideWindow.publishSeverity;
    findings.push(
      signals.makeFinding({
        detector: ID,
        kind: activation ? 'admin.activation_outside_window' : 'admin.publish_outside_window',
        severity,
        subject: { actor: actor ?? 'unknown' },
        summary: `policy ${activation ? 'activated' : 'published'} outside the change windows`,
        event,
        evidence: { ...evidence, change_windows: config.changeWindows },
      }),
    );
  }
  const memory = config.newActor;
  if (memory.enabled && actor) {
    const spec = { windowMs: memory.memoryMs, cap: memory.maxActors };
    const learning = at - (state.since ?? at) < memory.learningMs;
    const known = memory.knownActors.includes(actor) || hasDistinct(state.actors, actor, at, spec);
    if (!known && !learning) {
      const outside = findings.length > 0;
      findings.push(
        signals.makeFinding({
          detector: ID,
          kind: 'admin.new_actor',
          // A new actor changing policy outside the windows is worse than either alone.
          severity: outside ? maxSeverity(memory.severity, 'high') : memory.severity,
          subject: { actor },
          summary: `policy ${activation ? 'activated' : 'published'} by an actor not seen changing policy in ${signals.describeDuration(memory.memoryMs)}`,
          event,
          evidence: { ...evidence, known_actors: countDistinct(state.actors, at, spec) },
        }),
      );
    }
    observeDistinct(state.actors, actor, at, at, spec);
  }
  return findings;
}

function observe(state: AdminAnomaliesState, event: MonitorEvent, config: AdminAnomaliesConfig, now: number) {
  const at = signals.eventTime(event, now);
  if (POLICY_CHANGES.has(event.type)) {
    state.since ??= at;
    return { state, findings: policyChange(state, event, config, at) };
  }
  const findings: Finding[] = [];
  if (event.type === 'key.rotated') {
    const trigger = detailString(event, 'trigger', 32);
    if (trigger && config.emergencyRotation.triggers.includes(trigger)) {
      const actor = actorOf(event);
      findings.push(
        signals.makeFinding({
          detector: ID,
          kind: 'admin.emergency_key_rotation',
          severity: config.emergencyRotation.severity,
          subject: { service: event.service },
          summary: 'signing keys rotated immediately, without overlap: done when a key is believed compromised',
          event,
          evidence: { trigger, ...(actor ? { actor } : {}), ...(event.ip ? { ip: event.ip } : {}) },
        }),
      );
    }
  } else if (event.type === 'authorization.denied') {
    const actor = actorOf(event);
    const subject: Record<string, string> | undefined = actor ? { actor } : event.ip ? { ip: event.ip } : undefined;
    if (subject) {
      const key = actor ? `a:${actor}` : `i:${event.ip}`;
      const s = keyed.touchKeyed(state.denied, key, at, config.limits, () =>
        signals.newCountSignal(config.deniedBursts),
      );
      const r = signals.stepCount(s, event, config.deniedBursts, now);
      if (r.fire)
        findings.push(
          signals.thresholdFinding({
            detector: ID,
            kind: 'admin.denied_burst',
            subject,
            event,
            value: r.value,
            tier: r.fire,
            windowMs: config.deniedBursts.windowMs,
            what: 'denied admin authorizations',
            valueName: 'denials',
            eventIds: s.ids,
          }),
        );
    }
  }
  return { state, findings };
}

export const adminAnomalies = defineDetector(ID, ADMIN_ANOMALIES_DEFAULTS, {
  description:
    'Policy changes outside change windows or by new actors, emergency key rotation, bursts of denied admin authorizations',
  check(c) {
    try {
      scheduleOf(c.changeWindows);
    } catch (err) {
      if (err instanceof ChangeWindowError) throw new DetectorConfigError('changeWindows', err.message);
      throw err;
    }
    for (const [path, s] of [
      ['outsideWindow.publishSeverity', c.outsideWindow.publishSeverity],
      ['outsideWindow.activateSeverity', c.outsideWindow.activateSeverity],
      ['newActor.severity', c.newActor.severity],
      ['emergencyRotation.severity', c.emergencyRotation.severity],
    ] as const)
      if (!isSeverity(s)) throw new DetectorConfigError(path, 'must be a severity');
    checkDuration(c.newActor.learningMs, 'newActor.learningMs', 0);
    checkDuration(c.newActor.memoryMs, 'newActor.memoryMs');
    checkInteger(c.newActor.maxActors, 'newActor.maxActors', 1, 10_000);
    signals.checkCountSignal(c.deniedBursts, 'deniedBursts');
  },
  status: (config) =>
    config.changeWindows.trim() === ''
      ? { active: true, notes: ['no change windows configured: policy changes are never outside one'] }
      : { active: true },
  initialState: () => ({ actors: emptyDistinct(), denied: keyed.emptyKeyed() }),
  observe,
  keyedMaps: (state) => [state.denied],
});
