/**
 * Routes of the policy Worker. Handlers live in ./handlers, decisions in ./domain, the store in ./storage, the
 * isolate's active version in ./active-policy.ts; services.ts wires them.
 */
import { createServiceApp } from '../../../shared/app.js';
import type { Env } from './env.js';
import { authorizeBatch, authorizeOne, BATCH_BODY_LIMIT } from './handlers/authorize.js';
import { deleteStoredEntity, listStoredEntities, putStoredEntity } from './handlers/entities.js';
import {
  activatePolicyVersion,
  listPolicyVersions,
  publishPolicyVersion,
  readActivePolicy,
  readPolicyVersion,
} from './handlers/policies.js';
import { buildServices, type PolicyServices } from './services.js';

export const { app } = createServiceApp<Env, PolicyServices>({
  service: 'policy',
  buildServices,
  bodyLimits: { '/v1/authorize/batch': BATCH_BODY_LIMIT },
});

// Decision point (service bindings; bearer POLICY_API_TOKEN when configured, checked by both handlers).
app.post('/v1/authorize', authorizeOne);
app.post('/v1/authorize/batch', authorizeBatch);

// Policy store administration (admin credential + the active policy's own decision).
app.get('/v1/policies/versions', listPolicyVersions);
app.post('/v1/policies/versions', publishPolicyVersion);
app.get('/v1/policies/active', readActivePolicy);
app.get('/v1/policies/versions/:version', readPolicyVersion);
app.post('/v1/policies/versions/:version/activate', activatePolicyVersion);
app.get('/v1/entities', listStoredEntities);
app.put('/v1/entities/:type/:id', putStoredEntity);
app.delete('/v1/entities/:type/:id', deleteStoredEntity);
