// Scenario `token`: POST /oauth/token (client_credentials, client_secret_basic, ES256, rate limiting on) and
// POST /oauth/introspect of a valid JWT on the platform, beside three references: the runtime ceiling (bare workerd
// answering `ok`), the token-endpoint ceiling (bare workerd doing only the unavoidable work) and the peer
// (node-oidc-provider configured for speed, references/oidc-peer.mjs), all on the server core.
//
// The introspection target sends one token over and over. For the record, introspection is also measured with a
// different token each request (a pool of distinct tokens in turn), which an isolate's cache of answers per token
// cannot carry unless it holds the whole pool, and on a replica with the revocation lease off (REVOCATION_LEASE_MS=0:
// a Redis read per introspection).
//
// Two more workerd processes run on the same data plane (lib/platform.mjs replicas):
// - a local one: revocation through the first process must be seen by it at once (a check), and its first
//   requests after a restart give the cold-isolate latency;
// - a distant one (unless --rtt 0): its bridges delay every Postgres and Redis round trip by the RTT (default
//   40 ms), as an edge location far from the database region sees them. Token issuance must not notice (no remote
//   round trip on its steady-state path); introspection may cost at most one round trip (under the revocation lease
//   it costs none for a token the isolate has seen), measured beside it as a bare client's round trip through the
//   same link.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { basicAuth, expectJson, formRequest, registerClient, timed } from '../lib/oauth.mjs';
import { REFERENCES_DIR, startBareWorker, startOidcPeer, startRuntimeCeiling } from '../lib/references.mjs';
import { coldRequestSample, revocationCheck } from '../lib/replicas.mjs';
import { ratio, roundRatio, roundRatioText } from '../lib/report.mjs';
import { LOAD_CPU } from '../lib/proc.mjs';
import { withProcesses } from '../lib/scenario.mjs';

const JWT_RESOURCE = 'https://api.example.com/jwt';
const OPAQUE_RESOURCE = 'https://api.example.com/opaque';
/** Distinct tokens the distinct-token introspection cycles through, issued this many at a time. */
const DISTINCT_TOKENS = Number(process.env.BENCH_INTROSPECT_TOKENS ?? 2000);
const ISSUE_BATCH = 50;

export default {
  name: 'token',
  description:
    'token issuance and introspection vs runtime ceiling, token-endpoint ceiling and node-oidc-provider; distant data plane; cold isolates; revocation across processes',

  setup: withProcesses(setupScenario),
};

/** The peer's two requests; its tokens are minted again before every run (they expire after 600 s). */
async function peerRequests(peer) {
  const auth = basicAuth(peer.clientId, peer.clientSecret);
  const token = formRequest(
    `${peer.url}/token`,
    auth,
    `grant_type=client_credentials&scope=read&resource=${encodeURIComponent(JWT_RESOURCE)}`,
  );
  const jwt = await expectJson(await fetch(token.url, token), 'peer token');
  if (jwt.access_token.split('.').length !== 3) throw new Error('peer did not issue a JWT access token');
  const introspect = async () => {
    const opaque = await expectJson(
      await fetch(token.url, {
        ...token,
        body: `grant_type=client_credentials&scope=read&resource=${encodeURIComponent(OPAQUE_RESOURCE)}`,
      }),
      'peer opaque token',
    );
    const request = formRequest(`${peer.url}/token/introspection`, auth, `token=${opaque.access_token}`);
    const answer = await expectJson(await fetch(request.url, request), 'peer introspection');
    if (answer.active !== true) throw new Error(`peer introspection: ${JSON.stringify(answer)}`);
    return request;
  };
  await introspect();
  return { token, introspect };
}

async function setupScenario(ctx, stops) {
  const platform = await ctx.platform();
  const rtt = ctx.options.dataRttMs;

  // The platform: register a client (RFC 7591, with the initial access token), check one token and introspection.
  const registered = await registerClient(platform, {
    client_name: 'bench',
    grant_types: ['client_credentials'],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: 'read',
  });
  const auth = basicAuth(registered.client_id, registered.client_secret);
  const tokenAt = (base) => formRequest(`${base}/oauth/token`, auth, 'grant_type=client_credentials&scope=read');
  const tokenRequest = tokenAt(platform.urls.auth);
  const issue = async () =>
    (await expectJson(await fetch(tokenRequest.url, tokenRequest), 'platform token')).access_token;
  const introspectAt = (base) => async () => formRequest(`${base}/oauth/introspect`, auth, `token=${await issue()}`);
  const introspectOnce = (base) => async (token) => {
    const r = await timed(formRequest(`${base}/oauth/introspect`, auth, `token=${token}`));
    if (!r.ok) throw new Error(`introspection at ${base}: HTTP ${r.status} ${r.text}`);
    return { active: JSON.parse(r.text).active === true, ms: r.ms };
  };
  if (!(await introspectOnce(platform.urls.auth)(await issue())).active) throw new Error('platform introspection');
  // A fresh pool before every run: tokens live ACCESS_TOKEN_TTL_SECONDS (600 s by default), less than a long bench.
  const introspectDistinctAt = (base) => async () => {
    const tokens = [];
    for (let i = 0; i < DISTINCT_TOKENS; i += ISSUE_BATCH) {
      const n = Math.min(ISSUE_BATCH, DISTINCT_TOKENS - i);
      tokens.push(...(await Promise.all(Array.from({ length: n }, () => issue()))));
    }
    if (new Set(tokens).size !== tokens.length) throw new Error('distinct-token introspection: repeated tokens');
    if (!(await introspectOnce(base)(tokens.at(-1))).active) throw new Error('distinct-token introspection: inactive');
    return { ...formRequest(`${base}/oauth/introspect`, auth, ''), cycle: { param: 'token', values: tokens } };
  };
  const activeAnswer = (status, text) => status === 200 && JSON.parse(text).active === true;

  // Reference 1: runtime ceiling.
  const ok = await startRuntimeCeiling(stops);

  // Reference 2: token-endpoint ceiling, with the same kind of credentials (a 256-bit secret, stored hashed).
  const ceiling = await startBareWorker('token-ceiling', join(REFERENCES_DIR, 'token-ceiling-worker.js'), {
    CLIENT_ID: registered.client_id,
    CLIENT_SECRET_SHA256: createHash('sha256').update(registered.client_secret).digest('hex'),
  });
  stops.push(ceiling.stop);
  const ceilingRequest = { ...tokenRequest, url: `${ceiling.url}/oauth/token` };
  await expectJson(await fetch(ceilingRequest.url, ceilingRequest), 'token-endpoint ceiling');

  // Reference 3: the peer, tuned; as it comes too when asked (--peer-untuned).
  const peer = await startOidcPeer('tuned');
  stops.push(peer.stop);
  const peerReq = await peerRequests(peer);
  const untuned = ctx.options.peerUntuned ? await startOidcPeer('untuned') : undefined;
  if (untuned) stops.push(untuned.stop);
  const untunedReq = untuned ? await peerRequests(untuned) : undefined;

  // Replicas on the same data plane.
  const local = await platform.replica();
  const distant = rtt > 0 ? await platform.replica({ dataRttMs: rtt }) : undefined;
  // As deployed, the data plane's front ends (Upstash's REST API or the bridges' own pods; Neon's proxy) never run on
  // the Worker's core. For the record, one replica with its bridges on the load core instead (INFO only: the targets
  // keep the bridges on the server core, and this replica's data plane shares a core with the load generator).
  const offCore = await platform.replica({ dataCpu: LOAD_CPU });
  // For the record, one replica without the revocation lease: every introspection reads Redis (one round trip,
  // batched with the isolate's other lookups), as the platform did before the lease.
  const leaseOff = await platform.replica({ env: { REVOCATION_LEASE_MS: '0' } });

  const measurements = [
    ok.measure(),
    // The references: each alone in its process.
    ...[
      ['token-ceiling', 'token-endpoint ceiling: bare workerd', ceilingRequest, ceiling.pid],
      ['peer-token', 'peer: node-oidc-provider POST /token (JWT)', peerReq.token, peer.pid],
    ].map(([id, label, request, pid]) => ({ id, label, request, serverPids: [pid] })),
    {
      id: 'token',
      label: 'platform: POST /oauth/token',
      request: tokenRequest,
      serverPids: platform.serverPids,
      compare: ['token-ceiling', 'peer-token', 'runtime-ceiling'],
    },
    {
      id: 'peer-introspect',
      label: 'peer: node-oidc-provider introspection',
      request: peerReq.introspect,
      serverPids: [peer.pid],
    },
    {
      id: 'introspect',
      label: 'platform: POST /oauth/introspect',
      request: introspectAt(platform.urls.auth),
      serverPids: platform.serverPids,
      compare: ['peer-introspect', 'runtime-ceiling'],
    },
    {
      id: 'introspect-distinct',
      label: 'platform: POST /oauth/introspect, a different token each request',
      request: introspectDistinctAt(platform.urls.auth),
      serverPids: platform.serverPids,
      compare: ['introspect', 'peer-introspect'],
    },
  ];
  measurements.push({
    id: 'introspect-lease-off',
    label: 'platform: POST /oauth/introspect, revocation lease off (REVOCATION_LEASE_MS=0)',
    request: introspectAt(leaseOff.urls.auth),
    serverPids: leaseOff.serverPids,
    compare: ['introspect', 'peer-introspect'],
  });
  measurements.push({
    id: 'introspect-data-offcore',
    label: 'platform: POST /oauth/introspect, bridges off the server core',
    request: introspectAt(offCore.urls.auth),
    // workerd alone: the bridges run on the load core here.
    serverPids: () => offCore.serverPids().slice(0, 1),
    compare: ['introspect', 'peer-introspect'],
  });
  if (untuned) {
    measurements.push(
      {
        id: 'peer-untuned-token',
        label: 'peer as it comes: POST /token (JWT)',
        request: untunedReq.token,
        serverPids: [untuned.pid],
        compare: ['peer-token'],
      },
      {
        id: 'peer-untuned-introspect',
        label: 'peer as it comes: introspection',
        request: untunedReq.introspect,
        serverPids: [untuned.pid],
        compare: ['peer-introspect'],
      },
    );
  }
  if (distant) {
    // The link itself: one Redis round trip through the distant replica's bridge, the very pipeline introspection
    // sends (ZMSCORE of the denylist, GET of the key set's version), from a bare client. What "one RTT" costs in
    // this run, simulator and Redis included, at the same concurrency as the introspection beside it.
    const redisRoundTrip = {
      url: `${distant.redis.url}/pipeline`,
      method: 'POST',
      headers: { authorization: `Bearer ${platform.redis.tokens.auth}`, 'content-type': 'application/json' },
      body: JSON.stringify([
        ['ZMSCORE', `${platform.redis.prefix}revoked`, ':complete', 'bench-link-probe-jti-0'],
        ['GET', `${platform.redis.prefix}keys:version`],
      ]),
    };
    const probe = await fetch(redisRoundTrip.url, redisRoundTrip);
    if (!probe.ok) throw new Error(`distant Redis round trip: HTTP ${probe.status} ${await probe.text()}`);
    measurements.push(
      {
        id: 'link-distant',
        label: `distant (${rtt} ms): one Redis round trip, bare client`,
        request: redisRoundTrip,
        serverPids: distant.serverPids,
      },
      {
        id: 'link-distant-1c',
        label: `distant (${rtt} ms): one Redis round trip, bare client, 1 connection`,
        request: redisRoundTrip,
        serverPids: distant.serverPids,
        load: { connections: 1 },
      },
      {
        id: 'token-distant',
        label: `distant (${rtt} ms): POST /oauth/token`,
        request: tokenAt(distant.urls.auth),
        serverPids: distant.serverPids,
        compare: ['token'],
      },
      {
        id: 'introspect-distant',
        label: `distant (${rtt} ms): POST /oauth/introspect`,
        request: introspectAt(distant.urls.auth),
        serverPids: distant.serverPids,
        compare: ['introspect'],
      },
      // At 16 connections on one core p50 includes queueing; one connection shows the round trips alone.
      {
        id: 'introspect-distant-1c',
        label: `distant (${rtt} ms): POST /oauth/introspect, 1 connection`,
        request: introspectAt(distant.urls.auth),
        serverPids: distant.serverPids,
        load: { connections: 1 },
      },
    );
  }
  // First requests on a cold isolate (workerd restarted, nothing sent to it before): one of each per round.
  for (const [where, replica] of [['local', local], ...(distant ? [[`distant (${rtt} ms)`, distant]] : [])]) {
    const id = where === 'local' ? 'local' : 'distant';
    measurements.push(
      {
        id: `cold-token-${id}`,
        label: `${where}: first token request, cold isolate`,
        sample: coldRequestSample(replica, async () => tokenAt(replica.urls.auth)),
      },
      {
        id: `cold-introspect-${id}`,
        label: `${where}: first introspection, cold isolate`,
        sample: coldRequestSample(replica, introspectAt(replica.urls.auth), activeAnswer),
      },
    );
  }

  // Every load measurement here follows seconds in which its server sat idle while the others ran, and 1 s (the
  // default warm-up) is not always enough to return to steady state after that: over three runs, the platform's
  // introspection of one token had a worse p99 than the same path measured next with distinct tokens in each of nine
  // rounds (1.1-3.7x); with a 3 s warm-up, in two rounds of eight. So every measurement, references included, warms
  // up for 3 s (as the policy scenario does for Cedar).
  for (const m of measurements) {
    if (!m.sample) m.load = { warmupSec: Math.max(3, ctx.load.warmupSec), ...m.load };
  }

  return {
    measurements,
    processes: {
      'runtime-ceiling': ok.pid,
      'token-ceiling': ceiling.pid,
      peer: peer.pid,
      'peer-untuned': untuned?.pid,
    },
    targets: (r) => tokenTargets(r, rtt),
    async checks() {
      const introspectors = [
        { name: 'same process', introspect: introspectOnce(platform.urls.auth) },
        { name: 'second process', introspect: introspectOnce(local.urls.auth) },
        ...(distant ? [{ name: `distant process (${rtt} ms)`, introspect: introspectOnce(distant.urls.auth) }] : []),
      ];
      const revoke = async (token) => {
        const r = await timed(formRequest(`${platform.urls.auth}/oauth/revoke`, auth, `token=${token}`));
        if (!r.ok) throw new Error(`revocation: HTTP ${r.status} ${r.text}`);
      };
      const result = await revocationCheck({ issue, revoke, introspectors });
      return [
        {
          label: 'revocation through one process is seen at once through every process on the data plane',
          ...result,
        },
      ];
    },
  };
}

const x = (v) => `${Number.isFinite(v) ? v.toFixed(2) : 'n/a'}x`;
const ms = (v) => `${Number.isFinite(v) ? v.toFixed(2) : 'n/a'} ms`;
const errorsOf = (m) => m.errors + m.timeouts + m.non2xx;
/** A difference in ms with its sign. */
const signedMs = (v) => `${v >= 0 ? '+' : '-'}${ms(Math.abs(v))}`;
/** Throughput and p99 of measurement `a` against `b`, with their ratios. */
const against = (a, b) =>
  `${Math.round(a.rps)} vs ${Math.round(b.rps)} req/s = ${x(ratio(a.rps, b.rps))}; p99 ${ms(a.p99)} vs ${ms(b.p99)} = ${x(ratio(a.p99, b.p99))}`;
/** A line for the record (INFO): never PASS/MISS. */
const info = (label, detail) => ({ label, info: true, pass: true, detail });

/** The token scenario's targets from its results `r` (exported for test/node/bench-report.test.ts). */
export function tokenTargets(r, rtt) {
  const t = r.token;
  const c = r['token-ceiling'];
  const p = r['peer-token'];
  const i = r.introspect;
  const pi = r['peer-introspect'];
  // Ratios are judged round by round (lib/report.mjs roundRatio); the medians are printed beside them.
  const vsCeiling = roundRatio(t, c);
  const vsPeer = roundRatio(t, p);
  const p99VsCeiling = roundRatio(t, c, 'p99');
  const introVsPeer = roundRatio(i, pi);
  const introP99VsPeer = roundRatio(i, pi, 'p99');
  const out = [
    {
      label: 'token issuance (rate limiting on) >= 0.6x token-endpoint ceiling req/s',
      pass: vsCeiling.judged >= 0.6,
      detail: `${Math.round(t.rps)} vs ${Math.round(c.rps)} req/s = ${roundRatioText(vsCeiling)}`,
    },
    {
      label: "token issuance >= 2x peer's JWT client_credentials req/s",
      pass: vsPeer.judged >= 2,
      detail: `${Math.round(t.rps)} vs ${Math.round(p.rps)} req/s = ${roundRatioText(vsPeer)}`,
    },
    {
      // Whether the 2x-peer target is reachable at all: it needs the platform at this fraction of the ceiling.
      label: "2x peer's req/s as a fraction of the token-endpoint ceiling (above 1: beyond the ceiling itself)",
      info: true,
      pass: true,
      detail: `2 x ${Math.round(p.rps)} = ${Math.round(2 * p.rps)} req/s = ${x(ratio(2 * p.rps, c.rps))} of ${Math.round(c.rps)} req/s; CPU/request: peer ${Math.round(p.cpuUsPerRequest)}, ceiling ${Math.round(c.cpuUsPerRequest)}, platform ${Math.round(t.cpuUsPerRequest)} us`,
    },
    {
      label: 'token issuance p99 <= 1.5x token-endpoint ceiling p99',
      pass: p99VsCeiling.judged <= 1.5,
      detail: `${ms(t.p99)} vs ${ms(c.p99)} = ${roundRatioText(p99VsCeiling)}`,
    },
    {
      label: 'token issuance: zero errors',
      pass: errorsOf(t) === 0,
      detail: `${t.errors} errors, ${t.timeouts} timeouts, ${t.non2xx} non-2xx over ${t.requests} requests`,
    },
    {
      label: "introspection of a valid JWT >= 1x peer's (opaque, in memory) req/s",
      pass: introVsPeer.judged >= 1,
      detail: `${Math.round(i.rps)} vs ${Math.round(pi.rps)} req/s = ${roundRatioText(introVsPeer)}`,
    },
    {
      label: "introspection p99 <= peer's p99",
      pass: introP99VsPeer.judged <= 1,
      detail: `${ms(i.p99)} vs ${ms(pi.p99)} = ${roundRatioText(introP99VsPeer)}`,
    },
  ];
  const d = r['introspect-distinct'];
  // How often each token comes round again tells whether a per-token cache could still have answered.
  if (d) {
    out.push(
      info(
        'introspection with a different token each request (for the record) vs one token over and over, and peer',
        `${against(d, i)}; vs peer: ${against(d, pi)}; ${DISTINCT_TOKENS} tokens in turn, each again every ${ms((DISTINCT_TOKENS / d.rps) * 1000)}; ${errorsOf(d)} errors`,
      ),
    );
  }
  const lo = r['introspect-lease-off'];
  if (lo) {
    out.push(
      info(
        'introspection with the revocation lease off (for the record: a Redis read per introspection) vs peer',
        `${against(lo, pi)}; with the lease ${Math.round(i.rps)} req/s`,
      ),
    );
  }
  const off = r['introspect-data-offcore'];
  if (off) {
    out.push(
      info(
        "introspection with the bridges off the server core, as deployed (for the record) vs peer's req/s",
        `${against(off, pi)}; workerd CPU ${Math.round(off.cpuUsPerRequest)} us/req (with the bridges on the core: ${Math.round(i.cpuUsPerRequest)} us/req, bridges and Redis included)`,
      ),
    );
  }
  for (const [id, base] of [
    ['peer-untuned-token', 'peer-token'],
    ['peer-untuned-introspect', 'peer-introspect'],
  ]) {
    const u = r[id];
    const b = r[base];
    if (!u) continue;
    out.push({
      label: `peer as it comes vs tuned: ${id.endsWith('token') ? 'JWT client_credentials' : 'introspection'}`,
      info: true,
      pass: true,
      detail: `${Math.round(u.rps)} vs ${Math.round(b.rps)} req/s = ${x(ratio(u.rps, b.rps))}; CPU ${Math.round(u.cpuUsPerRequest)} vs ${Math.round(b.cpuUsPerRequest)} us/req; p99 ${ms(u.p99)} vs ${ms(b.p99)}`,
    });
  }
  const td = r['token-distant'];
  const id = r['introspect-distant'];
  if (td && id) {
    out.push(
      {
        label: `distant data plane (${rtt} ms RTT): token issuance p50 rises < 1 ms over local`,
        pass: td.p50 - t.p50 < 1 && errorsOf(td) === 0,
        detail: `p50 ${ms(td.p50)} vs ${ms(t.p50)} local = ${signedMs(td.p50 - t.p50)}; p99 ${ms(td.p99)} (local ${ms(t.p99)}); ${Math.round(td.rps)} req/s; ${errorsOf(td)} errors`,
      },
      // "One RTT" is what one Redis round trip through the simulated link costs a bare client in this run (the
      // link measurement beside it): the simulator's own timers and the bridge add about 2 ms to the nominal RTT,
      // which no introspection can avoid. The nominal figure is printed too.
      distantIntrospectionTarget(
        `distant data plane (${rtt} ms RTT): introspection p50 <= one Redis round trip + 2 ms`,
        id,
        r['link-distant'],
        rtt,
        i,
      ),
    );
    const one = r['introspect-distant-1c'];
    if (one) {
      out.push({
        ...distantIntrospectionTarget(
          `distant data plane (${rtt} ms RTT): introspection at 1 connection (no queueing)`,
          one,
          r['link-distant-1c'],
          rtt,
        ),
        info: true,
        pass: true,
      });
    }
  } else {
    out.push(info('distant data plane', 'not measured (--rtt 0)'));
  }
  for (const where of ['local', 'distant']) {
    const ct = r[`cold-token-${where}`];
    const ci = r[`cold-introspect-${where}`];
    if (!ct || !ci) continue;
    out.push({
      label: `first request on a cold isolate, ${where === 'local' ? 'local data plane' : `distant data plane (${rtt} ms RTT)`}`,
      // A failed first request is a MISS; otherwise the figures are for the record.
      info: ct.failed + ci.failed === 0,
      pass: false,
      detail: `token ${ms(ct.p50)} (worst ${ms(ct.max)}), introspection ${ms(ci.p50)} (worst ${ms(ci.max)}); ${ct.failed + ci.failed} failed`,
    });
  }
  return out;
}

/** Distant introspection's p50 against one round trip of the link measured beside it (plus 2 ms). */
function distantIntrospectionTarget(label, m, link, rtt, local) {
  const linkP50 = link?.p50 ?? Number.NaN;
  const linkErrors = link ? errorsOf(link) : 0;
  return {
    label,
    pass: m.p50 <= linkP50 + 2 && errorsOf(m) === 0 && linkErrors === 0,
    detail: `p50 ${ms(m.p50)} vs one round trip ${ms(linkP50)} + 2 ms = ${ms(linkP50 + 2)} (nominal RTT ${rtt} ms: ${signedMs(m.p50 - rtt)}); p99 ${ms(m.p99)}${local ? ` (local ${ms(local.p99)})` : ''}; ${Math.round(m.rps)} req/s; ${errorsOf(m)} errors`,
  };
}
