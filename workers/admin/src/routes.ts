/**
 * Routes of the admin Worker: the admin API under /v1 (api.ts: every route guarded by its Cedar action, validated
 * by its schemas) and its OpenAPI 3.1 document at /openapi.json, on the service app of shared/app.ts.
 */
import { createServiceApp } from '../../../shared/app.js';
import { createAdminApi } from './api.js';
import { registerAuditCountRoutes } from './audit-counts/handlers/audit-counts.js';
import { registerClientRoutes } from './clients/handlers/clients.js';
import type { Env } from './env.js';
import { registerKeyRoutes } from './keys/handlers/keys.js';
import { openApiDocument } from './openapi/handlers/document.js';
import { registerOperatorRoutes } from './operators/handlers/operators.js';
import { registerPolicyRoutes } from './policies/handlers/policies.js';
import { type AdminServices, buildServices } from './services.js';
import { registerTokenRoutes } from './tokens/handlers/tokens.js';
import { registerUserRoutes } from './users/handlers/users.js';
import { registerMonitoringRoutes } from './monitoring/handlers/monitoring.js';
import { registerDashboard } from './dashboard/handlers/dashboard.js';

export const { app } = createServiceApp<Env, AdminServices>({ service: 'admin', buildServices });

export const api = createAdminApi();
registerClientRoutes(api);
registerKeyRoutes(api);
registerPolicyRoutes(api);
registerTokenRoutes(api);
registerUserRoutes(api);
registerMonitoringRoutes(api);
registerOperatorRoutes(api);
registerAuditCountRoutes(api);

app.route('/', api as never);
app.get('/openapi.json', openApiDocument(api));
registerDashboard(app as never);
