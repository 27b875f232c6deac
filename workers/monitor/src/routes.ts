/**
 * Routes of the monitor Worker: the monitor API. Every route is an admin route (shared/admin/authorize.ts): an
 * admin credential, then the policy Worker's decision on its own Cedar action.
 */
import { createServiceApp } from '../../../shared/app.js';
import { acknowledgeAlert, getAlert, listAlerts, resolveAlert } from './alerts/handlers/alerts.js';
import { monitorStatus } from './api/handlers/status.js';
import type { Env } from './env.js';
import { countAuditLog, queryAuditLog } from './events/handlers/audit-log.js';
import { buildServices, type MonitorServices } from './services.js';
import {
  createEndpoint,
  deleteEndpoint,
  getDelivery,
  getEndpoint,
  listDeadLetters,
  listDeliveries,
  listEndpoints,
  replayDelivery,
  updateEndpoint,
} from './webhooks/handlers/endpoints.js';

export const { app, metrics, servicesFor } = createServiceApp<Env, MonitorServices>({
  service: 'monitor',
  buildServices,
});

app.get('/admin/monitor/status', monitorStatus);
app.get('/admin/alerts', listAlerts);
app.get('/admin/alerts/:id', getAlert);
app.post('/admin/alerts/:id/acknowledge', acknowledgeAlert);
app.post('/admin/alerts/:id/resolve', resolveAlert);
app.get('/admin/events', queryAuditLog);
app.get('/admin/events/counts', countAuditLog);
app.get('/admin/webhooks', listEndpoints);
app.post('/admin/webhooks', createEndpoint);
app.get('/admin/webhooks/dead-letters', listDeadLetters);
app.get('/admin/webhooks/deliveries/:id', getDelivery);
app.post('/admin/webhooks/deliveries/:id/replay', replayDelivery);
app.get('/admin/webhooks/:id', getEndpoint);
app.patch('/admin/webhooks/:id', updateEndpoint);
app.delete('/admin/webhooks/:id', deleteEndpoint);
app.get('/admin/webhooks/:id/deliveries', listDeliveries);
