// Scenario `refresh`: grant_type=refresh_token with rotation, on the platform and on node-oidc-provider
// (references/oidc-peer.mjs, tuned), with the platform's client_credentials in the same run for scale. Every refresh
// token comes from a real authorization-code flow (hosted sign-in, consent, PKCE S256: lib/platform-flows.mjs and
// lib/peer-flows.mjs); each connection then follows its chain, presenting the refresh token of the previous answer
// (single use: a successor per request, the family's state written once per refresh).
import { basicAuth, expectJson, formRequest, registerClient } from '../lib/oauth.mjs';
import { peerRefreshTokens } from '../lib/peer-flows.mjs';
import { platformRefreshClient, platformRefreshTokens } from '../lib/platform-flows.mjs';
import { startOidcPeer } from '../lib/references.mjs';
import { withProcesses } from '../lib/scenario.mjs';

/** One refresh by hand: the answer must carry a new refresh token and a JWT access token. */
async function probe(request, what) {
  const [first] = request.rotate.tokens;
  const res = await fetch(request.url, {
    ...request,
    body: `${request.body}&refresh_token=${encodeURIComponent(first)}`,
  });
  const body = await res.json();
  if (!res.ok || !body.refresh_token || body.refresh_token === first || body.access_token?.split('.').length !== 3)
    throw new Error(`${what} refresh: HTTP ${res.status} ${JSON.stringify(body)}`);
}

export default {
  name: 'refresh',
  description:
    'refresh_token grant with rotation: platform vs node-oidc-provider, beside the platform client_credentials',

  setup: withProcesses(async (ctx, stops) => {
    const platform = await ctx.platform();
    const peer = await startOidcPeer('tuned');
    stops.push(peer.stop);
    // Each connection holds one chain of single-use tokens; those in flight when a run stops are lost, hence
    // the margin. Every run gets fresh chains.
    const chains = ctx.load.connections * 3;

    const peerRefresh = async () => ({
      ...formRequest(
        `${peer.url}/token`,
        basicAuth(peer.refreshClientId, peer.refreshClientSecret),
        'grant_type=refresh_token',
      ),
      rotate: { param: 'refresh_token', field: 'refresh_token', tokens: await peerRefreshTokens(peer, chains) },
    });
    await probe(await peerRefresh(), 'peer');

    const client = await platformRefreshClient(platform);
    const platformRefresh = async () => ({
      ...formRequest(
        `${platform.urls.auth}/oauth/token`,
        basicAuth(client.clientId, client.clientSecret),
        'grant_type=refresh_token',
      ),
      rotate: {
        param: 'refresh_token',
        field: 'refresh_token',
        tokens: await platformRefreshTokens(platform.urls.auth, client, chains),
      },
    });
    await probe(await platformRefresh(), 'platform');

    // client_credentials in the same run, for scale (the token scenario measures it in depth).
    const cc = await registerClient(platform, {
      client_name: 'bench cc',
      grant_types: ['client_credentials'],
      scope: 'read',
    });
    const ccRequest = formRequest(
      `${platform.urls.auth}/oauth/token`,
      basicAuth(cc.client_id, cc.client_secret),
      'grant_type=client_credentials&scope=read',
    );
    await expectJson(await fetch(ccRequest.url, ccRequest), 'platform client_credentials');

    return {
      measurements: [
        {
          id: 'peer-refresh',
          label: 'peer: node-oidc-provider refresh (rotation)',
          request: peerRefresh,
          serverPids: [peer.pid],
        },
        {
          id: 'client-credentials',
          label: 'platform: client_credentials',
          request: ccRequest,
          serverPids: platform.serverPids,
        },
        {
          id: 'refresh',
          label: 'platform: refresh_token (rotation)',
          request: platformRefresh,
          serverPids: platform.serverPids,
          compare: ['client-credentials', 'peer-refresh'],
        },
      ],
      processes: { peer: peer.pid },
      targets: (r) => {
        const line = (m) =>
          `${Math.round(m.rps)} req/s, p50 ${m.p50} ms, p99 ${m.p99} ms, CPU ${Math.round(m.cpuUsPerRequest)} us/req, ${m.errors + m.timeouts + m.non2xx} errors/non-2xx`;
        return [
          { label: 'platform refresh_token with rotation', info: true, pass: true, detail: line(r.refresh) },
          {
            label: 'platform client_credentials (same run)',
            info: true,
            pass: true,
            detail: line(r['client-credentials']),
          },
          { label: 'peer refresh_token with rotation', info: true, pass: true, detail: line(r['peer-refresh']) },
        ];
      },
    };
  }),
};
