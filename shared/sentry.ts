/** Reports unexpected exceptions to Sentry through toucan-js, only when SENTRY_DSN is set. */
import { Toucan } from 'toucan-js';

export function reportException(
  dsn: string | undefined,
  err: unknown,
  ctx: { waitUntil(p: Promise<unknown>): void } | undefined,
  request: Request,
  tags: Record<string, string>,
): void {
  if (!dsn) return;
  try {
    const sentry = new Toucan({ dsn, context: ctx, request, environment: tags.environment });
    for (const [k, v] of Object.entries(tags)) sentry.setTag(k, v);
    sentry.captureException(err);
  } catch {
    // Reporting must never turn one failure into two.
  }
}
