/**
 * Redis through the Upstash REST client.
 *
 * Auto-pipelining is off: it batches commands from concurrent requests into one fetch, and workerd does not let
 * one request's I/O settle another request's promise. Values come back as raw strings (no JSON guessing).
 */
import { Redis } from '@upstash/redis/cloudflare';
import { withDeadline } from './deadline.js';
import type { CommonConfig } from './env.js';

type RedisConfig = Pick<CommonConfig, 'UPSTASH_REDIS_REST_URL' | 'UPSTASH_REDIS_REST_TOKEN' | 'REDIS_KEY_PREFIX'>;

/** One Redis client and the key prefix of this deployment. A Worker's services hold one per env. */
export interface RedisClient {
  readonly redis: Redis;
  /** Joins key parts under REDIS_KEY_PREFIX, e.g. `key('client', id)` → `test-1a2b:client:abc`. */
  key(...parts: string[]): string;
  /**
   * Runs commands in one round trip with a plain `fetch` of the REST protocol's `/pipeline` (no client library in
   * between: for the hot reads). Resolves to each command's result in order; a command answered with an error, a
   * non-2xx answer or a malformed body rejects.
   */
  pipeline(commands: readonly (readonly string[])[]): Promise<unknown[]>;
}

/** The REST protocol's pipeline (Upstash, and dataplane/src/redis-rest-bridge.ts): one POST, one JSON array back. */
async function restPipeline(url: string, token: string, commands: readonly (readonly string[])[]): Promise<unknown[]> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(commands),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`redis pipeline: HTTP ${res.status}`);
  const replies: unknown = JSON.parse(text);
  if (!Array.isArray(replies) || replies.length !== commands.length) throw new Error('redis pipeline: malformed reply');
  return replies.map((r: { result?: unknown; error?: unknown } | null) => {
    if (r === null || typeof r !== 'object') throw new Error('redis pipeline: malformed reply');
    if (r.error !== undefined) throw new Error(`redis pipeline: ${String(r.error)}`);
    return r.result ?? null;
  });
}

/**
 * Building a client costs ~10% of a token request's JS time, so the composition root builds one per env. Safe to
 * share across requests: with auto-pipelining off, each command is its own fetch.
 */
export function createRedisClient(config: RedisConfig): RedisClient {
  const redis = new Redis({
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
  const prefix = config.REDIS_KEY_PREFIX;
  const pipelineUrl = `${config.UPSTASH_REDIS_REST_URL.replace(/\/+$/, '')}/pipeline`;
  const token = config.UPSTASH_REDIS_REST_TOKEN;
  return {
    redis,
    key: (...parts) => prefix + parts.join(':'),
    pipeline: (commands) => restPipeline(pipelineUrl, token, commands),
  };
}

export async function pingRedis(client: RedisClient, timeoutMs: number): Promise<void> {
  const answer = await withDeadline(client.redis.ping(), timeoutMs);
  if (answer !== 'PONG') throw new Error(`unexpected PING reply ${String(answer)}`);
}

export type { Redis };
