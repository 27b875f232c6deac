// Types for scripts/lib/redis-keys.mjs.
export function deleteRedisKeys(redisUrl: string, prefix: string): Promise<void>;
