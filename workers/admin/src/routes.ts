/** Routes of the admin Worker. */
import { createServiceApp } from '../../../shared/app.js';
import type { Env } from './env.js';

export const { app } = createServiceApp<Env>({ service: 'admin' });
