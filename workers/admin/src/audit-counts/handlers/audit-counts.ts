/**
 * `GET /v1/audit/counts`: every security event of a window (default: the last hour) counted by type and outcome,
 * by the monitor Worker from the audit log it keeps. The dashboard's overview figures come from here: counted by
 * the platform, never capped by a page size, never invented.
 */
import { z } from '@hono/zod-openapi';
import { type AdminApi, adminRoute, forward } from '../../api.js';

const Time = z.string().datetime({ offset: true }).describe('RFC 3339');

const Counts = z
  .object({
    since: z.string(),
    until: z.string(),
    counts: z.array(z.object({ type: z.string(), outcome: z.string(), count: z.number().int() })),
  })
  .openapi('AuditCounts');

export function registerAuditCountRoutes(api: AdminApi): void {
  api.openapi(
    adminRoute('Admin_events_read', 'events', {
      method: 'get',
      path: '/v1/audit/counts',
      tags: ['audit'],
      summary: 'Count the audit log by event type and outcome over a window (at most 31 days)',
      request: { query: z.object({ since: Time.optional(), until: Time.optional() }) },
      responses: {
        200: { description: 'Counts by type and outcome', content: { 'application/json': { schema: Counts } } },
      },
    }),
    (c) => {
      const qs = new URLSearchParams();
      for (const [k, v] of Object.entries(c.req.valid('query'))) if (v !== undefined) qs.set(k, v);
      return forward(c, c.get('services').monitor, `/admin/events/counts${qs.size ? `?${qs}` : ''}`);
    },
  );
}
