/**
 * The Redis copy of a policy set's generation (`<prefix>policy:<set>:generation`). Isolates read it at most
 * once a second to learn that the active version or the stored entities changed; writers raise it after
 * committing to Postgres. It only ever moves forward (set-if-greater in Lua), so a slow writer can never
 * publish an older generation over a newer one.
 */
import { withDeadline } from '../../../../shared/deadline.js';
import type { RedisClient } from '../../../../shared/redis.js';
import type { GenerationSignal } from '../domain/policy-store.js';

const RAISE = `local cur = tonumber(redis.call('GET', KEYS[1]) or '-1')
if tonumber(ARGV[1]) > cur then redis.call('SET', KEYS[1], ARGV[1]) return 1 end
return 0`;

export class RedisGenerationSignal implements GenerationSignal {
  private readonly key: string;

  constructor(
    private readonly client: RedisClient,
    setId: string,
  ) {
    this.key = client.key('policy', setId, 'generation');
  }

  async read(timeoutMs: number): Promise<number | null> {
    const raw = await withDeadline(this.client.redis.get<string>(this.key), timeoutMs, 'redis GET generation');
    if (raw === null || raw === undefined) return null;
    const n = Number(raw);
    if (!Number.isSafeInteger(n)) throw new Error(`malformed policy generation in Redis: ${String(raw)}`);
    return n;
  }

  async publish(generation: number, timeoutMs: number): Promise<void> {
    await withDeadline(
      this.client.redis.eval(RAISE, [this.key], [String(generation)]),
      timeoutMs,
      'redis publish generation',
    );
  }
}
