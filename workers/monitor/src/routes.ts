/** Routes of the monitor Worker. */
import { createServiceApp } from '../../../shared/app.js';
import type { Env } from './env.js';

export const { app } = createServiceApp<Env>({ service: 'monitor' });
