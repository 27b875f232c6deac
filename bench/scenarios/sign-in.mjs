// Scenario `sign-in`: the hosted sign-in form posted with the right password (POST of the sign-in page: CSRF check,
// throttle check, scrypt verification, a new session), req/s and server CPU per sign-in, beside the same scrypt
// verification alone in a bare workerd (the floor a sign-in cannot go under), in the same run.
//
// Each request is one complete sign-in of one user agent's login transaction (its cookie and CSRF token, read from
// the page like a browser): the provider verifies the password and issues a new session each time, then sends the
// browser on to consent (a third-party client), which is never answered, so the transaction stays open for the next
// post. Successes are redirects (okStatus); a refusal re-renders the page and counts as non-2xx.
//
// One account signs in over and over: its per-user session list is one hot key (capped at 50 sessions, so past
// that each sign-in also ends the oldest), and every sign-in also reads the account from Postgres and records the
// sign-in there. Many users signing in once each would spread the state writes; the CPU per sign-in is the figure
// that carries over.
import { codeFlowFixture, pkcePair } from '../lib/hosted-login.mjs';
import { FORM } from '../lib/oauth.mjs';
import { startPasswordHashWorker } from './password-hash.mjs';

const REDIRECTS = [302, 303];
/**
 * A sign-in costs tens of milliseconds of CPU: at the default 16 connections most of a 5 s run is queueing and a
 * loaded machine completes almost none. Fewer connections for longer, the same for the baseline.
 */
const LOAD = { connections: 4, durationSec: 10, warmupSec: 2 };

export default {
  name: 'sign-in',
  description: 'hosted sign-in (password verification + new session) req/s and CPU per sign-in vs scrypt alone',

  async setup(ctx) {
    const platform = await ctx.platform();
    const { user, ua, startUrl } = await codeFlowFixture(platform, { name: 'bench-sign-in' });
    const { url: pageUrl, form } = await ua.signInForm(startUrl(pkcePair().challenge));
    const signIn = {
      url: form.action,
      method: 'POST',
      // What a browser sends with a same-origin form post.
      headers: {
        'content-type': FORM,
        origin: new URL(pageUrl).origin,
        'sec-fetch-site': 'same-origin',
        cookie: ua.jar.header(),
      },
      body: new URLSearchParams({ ...form.hidden, email: user.email, password: user.password }).toString(),
      okStatus: REDIRECTS,
    };
    // Two sign-ins by hand: each must succeed (a redirect onwards, not the sign-in page again).
    for (const attempt of [1, 2]) {
      const res = await fetch(signIn.url, { ...signIn, redirect: 'manual' });
      const location = res.headers.get('location') ?? '';
      if (!REDIRECTS.includes(res.status) || new URL(location, pageUrl).href === pageUrl)
        throw new Error(`sign-in ${attempt}: HTTP ${res.status} → ${location}: ${(await res.text()).slice(0, 400)}`);
    }

    const scrypt = await startPasswordHashWorker(ctx);
    return {
      measurements: [
        {
          id: 'scrypt',
          label: 'bare workerd: scrypt verification alone',
          request: { url: `${scrypt.url}/verify` },
          serverPids: [scrypt.pid],
          load: LOAD,
        },
        {
          id: 'sign-in',
          label: 'platform: sign-in form post (new session)',
          request: signIn,
          serverPids: platform.serverPids,
          load: LOAD,
          compare: ['scrypt'],
        },
      ],
      targets(r) {
        const s = r['sign-in'];
        const h = r.scrypt;
        return [
          {
            label: 'sign-in req/s and CPU per sign-in (platform: workerd + bridges + Redis)',
            info: true,
            pass: true,
            detail: `${Math.round(s.rps)} req/s, p50 ${s.p50} ms, p99 ${s.p99} ms, CPU ${(s.cpuUsPerRequest / 1000).toFixed(1)} ms/sign-in; scrypt alone ${Math.round(h.rps)} req/s, CPU ${(h.cpuUsPerRequest / 1000).toFixed(1)} ms`,
          },
          {
            label: 'every sign-in of the run succeeded',
            pass: s.perRound.every((round) => round.rps > 0) && s.non2xx === 0 && s.errors + s.timeouts === 0,
            detail: `${s.requests} signed in, ${s.non2xx} refused, ${s.errors + s.timeouts} errors`,
          },
        ];
      },
      async checks() {
        const wrong = await fetch(signIn.url, {
          ...signIn,
          redirect: 'manual',
          body: signIn.body.replace(/password=[^&]*/, 'password=wrong-password'),
        });
        return [
          {
            label: 'the same post with a wrong password is refused (no redirect onwards)',
            pass: !REDIRECTS.includes(wrong.status),
            detail: `HTTP ${wrong.status}`,
          },
        ];
      },
      processes: { ...platform.pids, scrypt: scrypt.pid },
      teardown: () => scrypt.stop(),
    };
  },
};
