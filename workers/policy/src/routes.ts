/** Routes of the policy Worker. Handlers live in ./handlers, decisions in ./domain. */
import { createServiceApp } from '../../../shared/app.js';
import type { Env } from './env.js';

export const { app } = createServiceApp<Env>({ service: 'policy' });
