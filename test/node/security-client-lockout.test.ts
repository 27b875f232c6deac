/**
 * Nobody can lock a client out by failing to authenticate as it. `client_id` is public (it is in every token), so
 * the client's own bucket may be charged only once its secret is verified: the address bucket first, then the
 * secret, then the client bucket. Six attacking addresses sending wrong secrets for a real client's id must not
 * make that client, calling from its own address within its limit, see a 429.
 *
 * Addresses: TRUST_PROXY_HEADERS=true makes the rightmost X-Forwarded-For entry the client address (as behind
 * the Kubernetes ingress), so each simulated caller gets its own address bucket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicHeader, postForm, register, startTokenPlatform, type TokenPlatform } from './token-helpers.js';

// The client bucket is small and slow (20, refilled at 2/s) so the outcome does not hinge on how fast a loaded
// machine delivers the attackers' burst; the flaw does not depend on the numbers. Address buckets keep their
// shipped defaults, so each attacker is throttled the way a real one would be.
const LIMITS = {
  TRUST_PROXY_HEADERS: 'true',
  RATE_LIMIT_TOKEN_CAPACITY: '20',
  RATE_LIMIT_TOKEN_REFILL_PER_SECOND: '2',
  RATE_LIMIT_IP_TOKEN_CAPACITY: '300',
  RATE_LIMIT_IP_TOKEN_REFILL_PER_SECOND: '50',
};
const ATTACKERS = ['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4', '198.51.100.5', '198.51.100.6'];
const VICTIM_IP = '203.0.113.10';
/** The legitimate client asks once per 700 ms: about 1.4/s, well inside its 2/s refill and 20 burst. */
const VICTIM_INTERVAL_MS = 700;
const ATTACK_MS = 6_000;

let tp: TokenPlatform;

beforeAll(async () => {
  tp = await startTokenPlatform(LIMITS);
});

afterAll(async () => {
  await tp?.stop();
});

const tokenUrl = () => `${tp.platform.urls.auth}/oauth/token`;

describe('client lockout by failed authentications', () => {
  it('six addresses sending wrong secrets cannot make the real client see a 429', async () => {
    const victim = await register(tp, { scope: 'read' });
    const wrong = basicHeader(victim.client_id, 'not-the-secret');
    const right = basicHeader(victim.client_id, victim.client_secret);
    // One request before the attack: the platform's first token request creates the signing key and loads the
    // client from Postgres, which under the attack's load takes seconds (a cold start, not what is measured here).
    // It spends one token of the victim's bucket, well inside its 20.
    const warm = await postForm(tokenUrl(), 'grant_type=client_credentials', {
      authorization: right,
      'x-forwarded-for': VICTIM_IP,
    });
    expect(warm.status).toBe(200);
    const attackStatuses: Record<number, number> = {};
    const victimResults: { status: number; body: unknown }[] = [];
    let stop = false;
    const deadline = Date.now() + ATTACK_MS;

    const attacker = async (ip: string) => {
      while (!stop && Date.now() < deadline) {
        const res = await postForm(tokenUrl(), 'grant_type=client_credentials', {
          authorization: wrong,
          'x-forwarded-for': ip,
        });
        attackStatuses[res.status] = (attackStatuses[res.status] ?? 0) + 1;
      }
    };
    const legitimate = async () => {
      while (!stop && Date.now() < deadline) {
        const res = await postForm(tokenUrl(), 'grant_type=client_credentials', {
          authorization: right,
          'x-forwarded-for': VICTIM_IP,
        });
        victimResults.push({ status: res.status, body: res.json });
        // A refusal is the finding: no need to keep attacking.
        if (res.status === 429) stop = true;
        else await new Promise((r) => setTimeout(r, VICTIM_INTERVAL_MS));
      }
    };
    await Promise.all([legitimate(), ...ATTACKERS.flatMap((ip) => [attacker(ip), attacker(ip)])]);

    // The attack really ran: wrong secrets were refused as such.
    expect(attackStatuses[401] ?? 0).toBeGreaterThan(ATTACKERS.length);
    const refused = victimResults.filter((r) => r.status !== 200);
    expect(
      refused,
      `the real client was refused ${refused.length} of ${victimResults.length} times during the attack ` +
        `(attack statuses ${JSON.stringify(attackStatuses)})`,
    ).toEqual([]);
    expect(victimResults.length).toBeGreaterThan(3);
  }, 60_000);
});
