// Removes every key under a prefix straight on Redis (SCAN + DEL, never FLUSHDB: other runs share the server). For
// test and bench cleanup: no Worker's bridge token may SCAN or DEL.
export async function deleteRedisKeys(redisUrl, prefix) {
  if (!prefix) throw new Error('deleteRedisKeys needs a non-empty prefix');
  const { Redis } = await import('ioredis');
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0 });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
