/**
 * Security events of the hosted login (and, through oauth/handlers/common.ts `emit`, of the OAuth endpoints): who
 * (user, client), from where (the request), what happened.
 */
import type { SecurityEventOutcome, SecurityEventType } from '../../../../../shared/events/event.js';
import type { AuthContext } from '../../services.js';

export function loginEvent(
  c: AuthContext,
  ip: string,
  type: SecurityEventType,
  outcome: SecurityEventOutcome,
  who: { userId?: string; clientId?: string },
  details: Record<string, unknown> = {},
): void {
  const ua = c.req.header('user-agent');
  c.get('services').events.emit(
    {
      type,
      outcome,
      user_id: who.userId,
      client_id: who.clientId,
      ip,
      user_agent: ua ? ua.slice(0, 256) : undefined,
      request_id: c.get('requestId'),
      details,
    },
    c.executionCtx,
  );
}
