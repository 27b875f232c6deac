/** Routes of the admin Worker. */
import { createServiceApp } from '../../../shared/app.js';
import type { Env } from './env.js';
import { type AdminServices, buildServices } from './services.js';

export const { app } = createServiceApp<Env, AdminServices>({ service: 'admin', buildServices });
