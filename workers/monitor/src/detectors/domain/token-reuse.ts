/**
 * Token abuse: a refresh token presented again after it was rotated, or an authorization code redeemed twice.
 * Either means a token was copied (or a client is badly broken); the emitter has already revoked the refresh
 * family or the code's tokens. Each is a high-severity alert on first sight, one per family or code, so a
 * replay loop adds to the count of one alert instead of opening many.
 */
import { detailCount, detailString, type MonitorEvent } from '../../events/domain/decode.js';
import { DetectorConfigError } from './config.js';
import { defineDetector } from './define.js';
import { type Finding, isSeverity, type Severity } from './finding.js';
import * as signals from './signals.js';

export interface TokenReuseConfig {
  refreshTokenReuse: { severity: Severity };
  authorizationCodeReuse: { severity: Severity };
}

/**
 * High: RFC 9700 (OAuth 2.0 Security BCP) §4.14 treats reuse of a rotated refresh token as a sign that it
 * leaked and has the server revoke the active one; RFC 6749 §4.1.2 has the server deny a second use of a code
 * and revoke the tokens issued from it.
 */
export const TOKEN_REUSE_DEFAULTS: TokenReuseConfig = {
  refreshTokenReuse: { severity: 'high' },
  authorizationCodeReuse: { severity: 'high' },
};

/** Stateless: every reuse is reported, deduplication happens at the alert. */
export type TokenReuseState = Record<string, never>;

const ID = 'token_reuse';

function observe(state: TokenReuseState, event: MonitorEvent, config: TokenReuseConfig) {
  const findings: Finding[] = [];
  const who = {
    ...(event.clientId ? { client_id: event.clientId } : {}),
    ...(event.userId ? { user_id: event.userId } : {}),
    ...(event.ip ? { ip: event.ip } : {}),
  };
  if (event.type === 'refresh_token.reused') {
    const family = detailString(event, 'family_id', 128);
    const generation = detailCount(event, 'generation');
    findings.push(
      signals.makeFinding({
        detector: ID,
        kind: 'token_reuse.refresh_token',
        severity: config.refreshTokenReuse.severity,
        // Without a family id, the client and user pair is the best grouping available.
        subject: family ? { family_id: family } : { client_id: event.clientId ?? '-', user_id: event.userId ?? '-' },
        summary: 'a rotated refresh token was presented again; its family was revoked',
        event,
        evidence: { ...who, ...(generation !== undefined ? { generation } : {}) },
      }),
    );
  } else if (event.type === 'authorization_code.reused') {
    const code = detailString(event, 'code_id', 128);
    findings.push(
      signals.makeFinding({
        detector: ID,
        kind: 'token_reuse.authorization_code',
        severity: config.authorizationCodeReuse.severity,
        subject: code ? { code_id: code } : { client_id: event.clientId ?? '-', user_id: event.userId ?? '-' },
        summary: 'an authorization code was redeemed twice; tokens issued from it were revoked',
        event,
        evidence: who,
      }),
    );
  }
  return { state, findings };
}

export const tokenReuse = defineDetector(ID, TOKEN_REUSE_DEFAULTS, {
  description: 'Refresh-token reuse and authorization-code reuse, each alerted on first sight',
  check(c) {
    for (const k of ['refreshTokenReuse', 'authorizationCodeReuse'] as const)
      if (!isSeverity(c[k].severity)) throw new DetectorConfigError(`${k}.severity`, 'must be a severity');
  },
  initialState: () => ({}),
  observe: (state, event, config) => observe(state, event, config),
});
