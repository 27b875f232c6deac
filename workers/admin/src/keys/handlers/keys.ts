/**
 * `/v1/keys`: signing keys, through the auth Worker's /admin/keys API (its key ring, its rotation logic) with the
 * operator's credential. The emergency rotation is an action of its own (`Admin_keys_emergency_rotate`), which the auth
 * Worker checks too, on top of `Admin_keys_rotate` (so a token for it needs both scopes).
 */
import { z } from '@hono/zod-openapi';
import { type AdminApi, adminRoute, forward } from '../../api.js';

const Key = z
  .object({
    kid: z.string(),
    alg: z.string(),
    status: z.enum(['pending', 'active', 'retired', 'revoked']),
    signing: z.boolean().optional(),
    activates_at: z.string(),
    retired_at: z.string().nullable().optional(),
    expires_at: z.string().nullable(),
  })
  .openapi('SigningKey');

const Rotation = z
  .object({
    changed: z.boolean(),
    created: z.string().nullable().optional(),
    retired: z.array(z.string()),
    revoked: z.array(z.string()),
    deleted: z.array(z.string()),
    keys: z.array(Key),
  })
  .passthrough()
  .openapi('KeyRotation');

export function registerKeyRoutes(api: AdminApi): void {
  api.openapi(
    adminRoute('Admin_keys_read', 'keys', {
      method: 'get',
      path: '/v1/keys',
      tags: ['keys'],
      summary: 'List signing keys with their status',
      responses: {
        200: {
          description: 'Every stored key',
          content: { 'application/json': { schema: z.object({ keys: z.array(Key) }) } },
        },
      },
    }),
    (c) => forward(c, c.get('services').auth, '/admin/keys'),
  );

  api.openapi(
    adminRoute('Admin_keys_rotate', 'keys', {
      method: 'post',
      path: '/v1/keys/rotate',
      tags: ['keys'],
      summary: 'Rotate: publish a new key now; it signs after the publication lead',
      responses: { 200: { description: 'What changed', content: { 'application/json': { schema: Rotation } } } },
    }),
    (c) => forward(c, c.get('services').auth, '/admin/keys/rotate', { body: {}, audit: { emergency: false } }),
  );

  api.openapi(
    adminRoute('Admin_keys_emergency_rotate', 'keys', {
      method: 'post',
      path: '/v1/keys/emergency-rotate',
      tags: ['keys'],
      summary: 'Emergency rotation (suspected compromise): a new key signs at once, every other key is revoked',
      request: {
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z.object({ reason: z.string().min(3).max(500).describe('Recorded in the audit event') }).strict(),
            },
          },
        },
      },
      responses: { 200: { description: 'What changed', content: { 'application/json': { schema: Rotation } } } },
    }),
    (c) => {
      const { reason } = c.req.valid('json');
      return forward(c, c.get('services').auth, '/admin/keys/rotate', {
        body: { immediate: true },
        audit: { emergency: true, reason },
      });
    },
  );
}
