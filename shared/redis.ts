/**
 * Redis through the Upstash REST client.
 *
 * Auto-pipelining is off: it batches commands from concurrent requests into one fetch, and workerd does not let
 * one request's I/O settle another request's promise. Values come back as raw strings (no JSON guessing).
 */
import { Redis } from '@upstash/redis/cloudflare';
import type { CommonConfig } from './env.js';

type RedisConfig = Pick<CommonConfig, 'UPSTASH_REDIS_REST_URL' | 'UPSTASH_REDIS_REST_TOKEN'>;

// Building a client costs ~10% of a token request's JS time, so one is kept per parsed config (configs are
// cached per env). Safe to share across requests: with auto-pipelining off, each command is its own fetch.
const clients = new WeakMap<RedisConfig, Redis>();

export function createRedis(config: RedisConfig): Redis {
  let client = clients.get(config);
  if (!client) {
    client = newRedis(config);
    clients.set(config, client);
  }
  return client;
}

function newRedis(config: RedisConfig): Redis {
  return new Redis({
    url: config.UPSTASH_REDIS_REST_URL,
    token: config.UPSTASH_REDIS_REST_TOKEN,
    automaticDeserialization: false,
    enableAutoPipelining: false,
    enableTelemetry: false,
    retry: false,
    // Plain JSON replies: base64 (the client's default) costs an encode in the bridge and an atob + TextDecoder
    // per string here, and buys nothing since the client decodes the bytes as UTF-8 anyway. Upstash and the
    // local REST bridge both answer plain JSON when the header is absent.
    responseEncoding: false,
  });
}

/** Joins key parts under the configured prefix, e.g. `redisKey(cfg, 'client', id)` → `test-1a2b:client:abc`. */
export function redisKey(config: Pick<CommonConfig, 'REDIS_KEY_PREFIX'>, ...parts: string[]): string {
  return config.REDIS_KEY_PREFIX + parts.join(':');
}

export async function pingRedis(config: RedisConfig, timeoutMs: number): Promise<void> {
  const redis = createRedis(config);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const answer = await Promise.race([
      redis.ping(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    if (answer !== 'PONG') throw new Error(`unexpected PING reply ${String(answer)}`);
  } finally {
    clearTimeout(timer);
  }
}

export type { Redis };
