/**
 * `/v1/tokens`: operator API tokens for automation, created and revoked through the API. The token is shown in
 * the creation answer only; Postgres keeps its SHA-256.
 */
import { z } from '@hono/zod-openapi';
import { randomToken, hashSecret } from '../../../../../shared/crypto.js';
import { notFound, validationFailed } from '../../../../../shared/errors.js';
import { ADMIN_API_ACTIONS } from '../../actions.js';
import { type AdminApi, adminRoute, audit } from '../../api.js';
import { json, jsonBody, pathParams } from '../../schemas.js';
import { ApiTokenError, planApiToken } from '../domain/api-token.js';
import type { ApiToken } from '../domain/token-store.js';

const ApiTokenView = z
  .object({
    id: z.string(),
    name: z.string(),
    principal: z.string().describe('The principal the token acts for (its creator)'),
    roles: z.array(z.string()),
    scopes: z.array(z.string()),
    created_by: z.string(),
    root_credential: z.string().describe('The admin credential it descends from: revoking that ends this token'),
    parent_token: z.string().nullable().describe('The token that made it: revoking that revokes this one'),
    created_at: z.string().datetime(),
    expires_at: z.string().datetime(),
    revoked_at: z.string().datetime().nullable(),
    revoked_by: z.string().nullable(),
    status: z.enum(['active', 'expired', 'revoked']),
  })
  .openapi('ApiToken');

const NewApiToken = z
  .object({
    name: z.string().min(1).max(100),
    scopes: z.array(z.enum(ADMIN_API_ACTIONS)).min(1),
    roles: z.array(z.string().min(1).max(100)).min(1).max(20).optional(),
    expires_in: z.number().int().min(60).describe('Lifetime in seconds'),
  })
  .strict();

const iso = (ms: number) => new Date(ms).toISOString();

function view(t: ApiToken, now = Date.now()): z.infer<typeof ApiTokenView> {
  return {
    id: t.id,
    name: t.name,
    principal: t.principalId,
    roles: t.roles,
    scopes: t.scopes,
    created_by: t.createdBy,
    root_credential: t.rootCredential,
    parent_token: t.parentToken,
    created_at: iso(t.createdAt),
    expires_at: iso(t.expiresAt),
    revoked_at: t.revokedAt === null ? null : iso(t.revokedAt),
    revoked_by: t.revokedBy,
    status: t.revokedAt !== null ? 'revoked' : t.expiresAt <= now ? 'expired' : 'active',
  };
}

const TokenId = pathParams({ id: z.string().regex(/^tok_[A-Za-z0-9_-]{8,64}$/) });

export function registerTokenRoutes(api: AdminApi): void {
  api.openapi(
    adminRoute('Admin_credentials_read', 'credentials', {
      method: 'get',
      path: '/v1/tokens',
      tags: ['tokens'],
      summary: 'List operator API tokens (never the tokens themselves)',
      request: { query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }) },
      responses: { 200: json('Tokens, newest first', z.object({ tokens: z.array(ApiTokenView) })) },
    }),
    async (c) => {
      const { limit } = c.req.valid('query');
      const tokens = await c.get('services').tokens.list(limit);
      return c.json({ tokens: tokens.map((t) => view(t)) }, 200, { 'cache-control': 'no-store' });
    },
  );

  api.openapi(
    adminRoute('Admin_credentials_create', 'credentials', {
      method: 'post',
      path: '/v1/tokens',
      tags: ['tokens'],
      summary: 'Create a scoped, expiring API token acting for the caller (shown once)',
      request: { body: jsonBody(NewApiToken) },
      responses: {
        201: json('The token (in this answer only) and its record', ApiTokenView.extend({ token: z.string() })),
      },
    }),
    async (c) => {
      const services = c.get('services');
      const { principal } = c.get('access');
      const body = c.req.valid('json');
      let plan: ReturnType<typeof planApiToken>;
      try {
        plan = planApiToken(principal, body, {
          knownActions: ADMIN_API_ACTIONS,
          maxTtlSeconds: services.config.ADMIN_TOKEN_MAX_TTL_SECONDS,
          now: Date.now(),
        });
      } catch (err) {
        if (err instanceof ApiTokenError) throw validationFailed(err.message);
        throw err;
      }
      const token = `esp_${randomToken(32)}`;
      const record = await services.tokens.insert({
        id: `tok_${randomToken(12)}`,
        tokenHash: await hashSecret(token),
        name: body.name,
        principalId: principal.id,
        roles: plan.roles,
        scopes: plan.scopes,
        createdBy: principal.id,
        // A token made by a token descends from that token's root; otherwise from the credential that made it.
        rootCredential: principal.rootCredential ?? principal.credentialId,
        parentToken: principal.scopes ? principal.credentialId : null,
        expiresAt: plan.expiresAt,
      });
      audit(c, { token_id: record.id, name: record.name, scopes: record.scopes, roles: record.roles });
      return c.json({ ...view(record), token }, 201, { 'cache-control': 'no-store' });
    },
  );

  api.openapi(
    adminRoute('Admin_credentials_revoke', 'credentials', {
      method: 'delete',
      path: '/v1/tokens/{id}',
      tags: ['tokens'],
      summary: 'Revoke an API token and the tokens made from it (other isolates stop accepting them within 5 s)',
      request: { params: TokenId },
      responses: {
        200: json(
          'The revoked token, and how many tokens made from it were revoked with it',
          ApiTokenView.extend({ revoked_descendants: z.number().int() }),
        ),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { principal } = c.get('access');
      const revoked = await c.get('services').tokens.revoke(id, principal.id);
      if (!revoked) throw notFound(`no live API token "${id}"`);
      audit(c, { token_id: id, revoked_descendants: revoked.descendants });
      return c.json({ ...view(revoked.token), revoked_descendants: revoked.descendants }, 200);
    },
  );
}
