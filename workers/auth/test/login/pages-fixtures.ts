/** Every hosted page rendered with hostile values in every interpolated field (shared by the page tests). */
import { consentPage } from '../../src/login/pages/consent.js';
import { errorPage } from '../../src/login/pages/error.js';
import { formPostPage } from '../../src/login/pages/form-post.js';
import type { RenderedPage } from '../../src/login/pages/layout.js';
import { selectAccountPage } from '../../src/login/pages/select-account.js';
import { sessionsPage } from '../../src/login/pages/sessions.js';
import { signInPage } from '../../src/login/pages/sign-in.js';
import { signOutPage } from '../../src/login/pages/sign-out.js';
import { signUpPage } from '../../src/login/pages/sign-up.js';

/** Each would run script or change the page if it were not escaped. `window.__xss` marks success. */
export const XSS = [
  '<script>window.__xss=1</script>',
  '"><img src=x onerror="window.__xss=1">',
  "'><svg onload='window.__xss=1'>",
  '</title><script>window.__xss=1</script>',
  '</style><script>window.__xss=1</script>',
  '" autofocus onfocus="window.__xss=1" x="',
  '<a href="javascript:window.__xss=1">x</a>',
  '&lt;script&gt;window.__xss=1&lt;/script&gt;',
];

export const NONCE = 'bm9uY2Utbm9uY2Utbm9uY2U';

/** Renders each page once per payload, with the payload in every value a page interpolates. */
export function hostilePages(x: string): Record<string, RenderedPage> {
  return {
    signIn: signInPage({
      nonce: NONCE,
      csrfToken: x,
      action: '/login',
      signUpHref: '/signup',
      clientName: x,
      email: x,
      error: x,
      fieldErrors: { email: x, password: x },
    }),
    signUp: signUpPage({
      nonce: NONCE,
      csrfToken: x,
      action: '/signup',
      signInHref: '/login',
      email: x,
      name: x,
      error: x,
      fieldErrors: { email: x, password: x, name: x },
    }),
    consent: consentPage({
      nonce: NONCE,
      csrfToken: x,
      action: '/consent',
      clientName: x,
      clientUri: `javascript:window.__xss=1//${x}`,
      policyUri: 'https://rp.example.com/privacy',
      tosUri: x,
      userEmail: x,
      scopes: ['openid', 'email', x],
      scopeDescriptions: { [x]: x },
      formActions: ['https://rp.example.com'],
    }),
    signOut: signOutPage({
      nonce: NONCE,
      csrfToken: x,
      action: '/logout',
      userEmail: x,
      clientName: x,
      hidden: { state: x, post_logout_redirect_uri: x },
    }),
    sessions: sessionsPage({
      nonce: NONCE,
      csrfToken: x,
      action: '/sessions/revoke',
      userEmail: x,
      notice: x,
      sessions: [
        { handle: x, userAgent: x, createdAt: 1_700_000_000, lastSeenAt: 1_700_000_500, current: true },
        { handle: 'h2', createdAt: 1_700_000_000, lastSeenAt: 1_700_000_900, current: false },
      ],
    }),
    error: errorPage({ nonce: NONCE, status: 400, title: x, message: x, detail: x }),
    selectAccount: selectAccountPage({ nonce: NONCE, csrfToken: x, action: '/select', userEmail: x, clientName: x }),
    formPost: formPostPage({
      nonce: NONCE,
      redirectUri: 'https://rp.example.com/cb',
      params: [
        ['code', x],
        ['state', x],
        ['iss', 'https://auth.example.com'],
      ],
    }),
  };
}
