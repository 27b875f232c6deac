// Scenario `refresh`: grant_type=refresh_token with rotation. For now only the peer: node-oidc-provider
// (references/oidc-peer.mjs, tuned) refreshing with a new single-use refresh token on every use, from refresh tokens
// obtained by real authorization-code flows (lib/peer-flows.mjs). The platform's refresh endpoint does not exist
// yet; when it does, its measurement goes beside this one, compared against it.
import { basicAuth, formRequest } from '../lib/oauth.mjs';
import { peerRefreshTokens } from '../lib/peer-flows.mjs';
import { startOidcPeer } from '../lib/references.mjs';
import { withProcesses } from '../lib/scenario.mjs';

export default {
  name: 'refresh',
  description: 'refresh_token grant with rotation: node-oidc-provider (the platform side is not built yet)',

  setup: withProcesses(async (ctx, stops) => {
    const peer = await startOidcPeer('tuned');
    stops.push(peer.stop);
    // Each connection holds one chain of single-use tokens; those in flight when a run stops are lost, hence
    // the margin. Every run gets fresh chains (a chain's grant outlives the run, its tokens do not).
    const chains = ctx.load.connections * 3;
    const refreshRequest = async () => ({
      ...formRequest(
        `${peer.url}/token`,
        basicAuth(peer.refreshClientId, peer.refreshClientSecret),
        'grant_type=refresh_token',
      ),
      rotate: { param: 'refresh_token', field: 'refresh_token', tokens: await peerRefreshTokens(peer, chains) },
    });
    // One refresh by hand: the answer must carry a new refresh token and a JWT access token.
    const probe = await refreshRequest();
    const [first] = probe.rotate.tokens;
    const res = await fetch(probe.url, {
      ...probe,
      body: `${probe.body}&refresh_token=${encodeURIComponent(first)}`,
    });
    const body = await res.json();
    if (!res.ok || !body.refresh_token || body.refresh_token === first || body.access_token?.split('.').length !== 3)
      throw new Error(`peer refresh: HTTP ${res.status} ${JSON.stringify(body)}`);
    return {
      measurements: [
        {
          id: 'peer-refresh',
          label: 'peer: node-oidc-provider refresh (rotation)',
          request: refreshRequest,
          serverPids: [peer.pid],
        },
      ],
      processes: { peer: peer.pid },
      targets: (r) => {
        const p = r['peer-refresh'];
        return [
          {
            label: 'peer refresh_token with rotation (JWT access token + new refresh token per answer)',
            info: true,
            pass: true,
            detail: `${Math.round(p.rps)} req/s, p50 ${p.p50} ms, p99 ${p.p99} ms, CPU ${Math.round(p.cpuUsPerRequest)} us/req, ${p.errors + p.timeouts + p.non2xx} errors/non-2xx; platform: not built yet`,
          },
        ];
      },
    };
  }),
};
