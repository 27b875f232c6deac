/** Routes of the monitor Worker. */
import { createServiceApp } from '../../../shared/app.js';
import type { Env } from './env.js';
import { buildServices, type MonitorServices } from './services.js';

export const { app } = createServiceApp<Env, MonitorServices>({ service: 'monitor', buildServices });
