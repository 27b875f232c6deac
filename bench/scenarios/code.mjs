// Scenario `code`: POST /oauth/token with grant_type=authorization_code (confidential client, client_secret_basic,
// PKCE S256, an ID token and an access token per answer) beside grant_type=client_credentials on the same platform,
// in the same run.
//
// Codes are single use and live at most 60 s, so before every run a pool of them is minted the way a browser gets
// them: one user agent signs in and consents once (lib/hosted-login.mjs), then each GET of the authorization
// endpoint with its session answers a redirect carrying a fresh code. All codes share one PKCE challenge, so the
// redemption request is fixed but for its `code` (the load generator's `rotate`). Minting is bounded in time
// (codes minted first must still be valid when the run ends); if the pool runs dry before the run does, the
// requests without a code are refused and show as non-2xx, and the target below says so.
import { codeFlowFixture, pkcePair } from '../lib/hosted-login.mjs';
import { basicAuth, expectJson, formRequest, registerClient, timed } from '../lib/oauth.mjs';

const POOL = Number(process.env.BENCH_CODES ?? 1500);
const MINT_BUDGET_MS = Number(process.env.BENCH_CODE_MINT_MS ?? 35_000);

export default {
  name: 'code',
  description: 'authorization_code redemption (ID token + access token) vs client_credentials, same platform, same run',

  async setup(ctx) {
    const platform = await ctx.platform();
    const fixture = await codeFlowFixture(platform, { name: 'bench-code' });
    const { discovery, client, redirectUri, ua } = fixture;
    const pkce = pkcePair();
    const startUrl = () => fixture.startUrl(pkce.challenge);
    const auth = basicAuth(client.client_id, client.client_secret);
    const redeemBody = `grant_type=authorization_code&redirect_uri=${encodeURIComponent(redirectUri)}&code_verifier=${pkce.verifier}`;
    const redeem = formRequest(discovery.token_endpoint, auth, redeemBody);

    // The first flow signs in and consents; its code is redeemed by hand and must give an ID token.
    const first = await ua.walk(startUrl(), redirectUri);
    ctx.log(`code: signed in through ${ua.pages.map((p) => `"${p.title}"`).join(' → ')}`);
    const code = first.searchParams.get('code');
    if (!code) throw new Error(`no code in ${first.href}`);
    const answer = await expectJson(
      await fetch(redeem.url, { ...redeem, body: `${redeemBody}&code=${encodeURIComponent(code)}` }),
      'code redemption',
    );
    if (answer.id_token?.split('.').length !== 3 || !answer.access_token)
      throw new Error(`code redemption: no ID token / access token: ${JSON.stringify(answer)}`);

    async function mintCodes() {
      const codes = [];
      const deadline = performance.now() + MINT_BUDGET_MS;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (codes.length < POOL && performance.now() < deadline) {
            const back = await ua.walk(startUrl(), redirectUri, 2);
            const c = back.searchParams.get('code');
            if (!c) throw new Error(`no code in ${back.href}`);
            codes.push(c);
          }
        }),
      );
      ctx.log(`code: minted ${codes.length} codes in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      return codes;
    }
    const minted = { last: 0 };

    // client_credentials on the same platform: a client of its own.
    const cc = await registerClient(platform, {
      client_name: 'bench-cc',
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'read',
    });
    const ccRequest = formRequest(
      `${platform.urls.auth}/oauth/token`,
      basicAuth(cc.client_id, cc.client_secret),
      'grant_type=client_credentials&scope=read',
    );

    return {
      measurements: [
        {
          id: 'client-credentials',
          label: 'platform: token, client_credentials',
          request: ccRequest,
          serverPids: platform.serverPids,
        },
        {
          id: 'code',
          label: 'platform: token, authorization_code + ID token',
          request: async () => {
            const codes = await mintCodes();
            minted.last = codes.length;
            return { ...redeem, rotate: { param: 'code', field: '-', tokens: codes } };
          },
          serverPids: platform.serverPids,
          compare: ['client-credentials'],
        },
      ],
      targets(r) {
        const c = r.code;
        const k = r['client-credentials'];
        return [
          {
            label: 'authorization_code redemption vs client_credentials (same run)',
            info: true,
            pass: true,
            detail: `${Math.round(c.rps)} vs ${Math.round(k.rps)} req/s, p50 ${c.p50} vs ${k.p50} ms, p99 ${c.p99} vs ${k.p99} ms, CPU ${Math.round(c.cpuUsPerRequest)} vs ${Math.round(k.cpuUsPerRequest)} us/req`,
          },
          {
            label: 'every redemption in the run had a valid code (the pool did not run dry) and succeeded',
            pass: c.perRound.every((round) => round.rps > 0) && c.non2xx === 0 && c.errors + c.timeouts === 0,
            detail: `${c.requests} redeemed, ${c.non2xx} non-2xx, ${c.errors + c.timeouts} errors (last pool ${minted.last} codes)`,
          },
        ];
      },
      async checks() {
        // A code redeemed a second time is refused (RFC 6749 §4.1.2): the pool above was not reusable.
        const again = (await ua.walk(startUrl(), redirectUri, 2)).searchParams.get('code') ?? '';
        const body = `${redeemBody}&code=${encodeURIComponent(again)}`;
        const one = await timed({ ...redeem, body });
        const two = await timed({ ...redeem, body });
        const secondError = two.ok ? 'none' : JSON.parse(two.text).error;
        return [
          {
            label: 'a code redeemed twice: the second redemption is refused with invalid_grant',
            pass: one.ok && !two.ok && secondError === 'invalid_grant',
            detail: `first ${one.status}, second ${two.status} ${secondError}`,
          },
        ];
      },
      processes: platform.pids,
    };
  },
};
