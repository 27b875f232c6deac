// The RateLimitStore conformance suite on the Durable Object adapter (one RateLimiter object per key), in workerd.
import { env } from 'cloudflare:test';
import { durableObjectStore, type RateLimiterNamespace } from '../rate-limit/storage/durable-object.js';
import { rateLimitStoreConformance } from './rate-limit-store-suite.js';

const ns = (env as unknown as { RATE_LIMITER: RateLimiterNamespace }).RATE_LIMITER;
let n = 0;
rateLimitStoreConformance(
  'Durable Object',
  () => durableObjectStore(ns),
  () => `conformance-${Date.now().toString(36)}-${++n}`,
);
