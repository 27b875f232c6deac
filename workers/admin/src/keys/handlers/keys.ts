/**
 * `/v1/keys`: signing keys, through the auth Worker's /admin/keys API (its key ring, its rotation logic) with the
 * operator's credential. The emergency rotation is an action of its own (`Admin_keys_emergency_rotate`), which the auth
 * Worker checks too, on top of `Admin_keys_rotate` (so a token for it needs both scopes).
 */
import { z } from '@hono/zod-openapi';
import { type AdminApi, adminProxy } from '../../api.js';
import { json } from '../../schemas.js';

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
  const route = adminProxy(api, { area: 'keys', tag: 'keys', upstream: 'auth', prefix: '/admin' });
  route('Admin_keys_read', 'get', '/v1/keys', {
    summary: 'List signing keys with their status',
    responses: { 200: json('Every stored key', z.object({ keys: z.array(Key) })) },
  });
  route('Admin_keys_rotate', 'post', '/v1/keys/rotate', {
    summary: 'Rotate: publish a new key now; it signs after the publication lead',
    responses: { 200: json('What changed', Rotation) },
    send: () => ({}),
    audit: () => ({ emergency: false }),
  });
  route('Admin_keys_emergency_rotate', 'post', '/v1/keys/emergency-rotate', {
    summary: 'Emergency rotation (suspected compromise): a new key signs at once, every other key is revoked',
    body: z.object({ reason: z.string().min(3).max(500).describe('Recorded in the audit event') }).strict(),
    responses: { 200: json('What changed', Rotation) },
    to: '/admin/keys/rotate',
    send: () => ({ immediate: true }),
    audit: ({ body }) => ({ emergency: true, reason: body.reason }),
  });
}
