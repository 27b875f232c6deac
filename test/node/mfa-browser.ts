/**
 * A browser without a browser, for the MFA black-box tests: plain HTTP with a cookie jar, form posts with the
 * Origin header browsers send, redirects not followed so each step can be checked.
 */
import { createHash, randomBytes } from 'node:crypto';

export class Browser {
  readonly cookies = new Map<string, string>();
  constructor(readonly origin: string) {}

  private store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/max-age=0\b/i.test(attrs.join(';')) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  private header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async get(pathOrUrl: string): Promise<Response> {
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${this.origin}${pathOrUrl}`;
    const res = await fetch(url, { redirect: 'manual', headers: { cookie: this.header() } });
    this.store(res);
    return res;
  }

  async post(path: string, fields: Record<string, string>): Promise<Response> {
    const res = await fetch(`${this.origin}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        cookie: this.header(),
        'content-type': 'application/x-www-form-urlencoded',
        origin: this.origin,
        'sec-fetch-site': 'same-origin',
      },
      body: new URLSearchParams(fields).toString(),
    });
    this.store(res);
    return res;
  }
}

export function csrfOf(html: string): string {
  const m = /name="csrf_token" value="([^"]+)"/.exec(html);
  if (!m) throw new Error(`no CSRF token in page: ${html.slice(0, 300)}`);
  return m[1]!;
}

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** Where a response sends the browser, resolved against `origin`. */
export function location(res: Response, origin: string): URL {
  const value = res.headers.get('location');
  if (!value) throw new Error(`no redirect (status ${res.status})`);
  return new URL(value, origin);
}
