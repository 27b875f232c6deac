/**
 * The Redis copy of a policy set's generation (`<prefix>policy:<set>:generation`). Isolates read it at most
 * once a second to learn that the active version or the stored entities changed; writers raise it after
 * committing to Postgres. It only ever moves forward (set-if-greater in Lua), so a slow writer can never
 * publish an older generation over a newer one.
 */
import type { CommonConfig } from '../../../../shared/env.js';
import { createRedis, redisKey } from '../../../../shared/redis.js';

type RedisConfig = Pick<CommonConfig, 'UPSTASH_REDIS_REST_URL' | 'UPSTASH_REDIS_REST_TOKEN' | 'REDIS_KEY_PREFIX'>;

const RAISE = `local cur = tonumber(redis.call('GET', KEYS[1]) or '-1')
if tonumber(ARGV[1]) > cur then redis.call('SET', KEYS[1], ARGV[1]) return 1 end
return 0`;

export const generationKey = (config: RedisConfig, setId: string) => redisKey(config, 'policy', setId, 'generation');

async function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The published generation, or null when none is published yet. */
export async function readGeneration(config: RedisConfig, setId: string, timeoutMs: number): Promise<number | null> {
  const raw = await withDeadline(
    createRedis(config).get<string>(generationKey(config, setId)),
    timeoutMs,
    'redis GET generation',
  );
  if (raw === null || raw === undefined) return null;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new Error(`malformed policy generation in Redis: ${String(raw)}`);
  return n;
}

/** Raises the published generation to `generation` (no-op when Redis already has it or a later one). */
export async function publishGeneration(
  config: RedisConfig,
  setId: string,
  generation: number,
  timeoutMs: number,
): Promise<void> {
  await withDeadline(
    createRedis(config).eval(RAISE, [generationKey(config, setId)], [String(generation)]),
    timeoutMs,
    'redis publish generation',
  );
}
