// A simulated user for the local server's development pages: follows redirects, fills the login form (any username)
// and the consent and device-confirmation forms, and finally loads the client's redirect URI as a browser would.
// Used by `oauth demo --headless` and by the tests (as BROWSER). Only for oidc-provider's development interactions.
import { request } from 'undici';

interface Cookie {
  name: string;
  value: string;
  path: string;
}

/** Cookies by name and path; oidc-provider scopes its interaction cookies to /interaction/<uid> and /auth/<uid>. */
class CookieJar {
  private readonly cookies: Cookie[] = [];

  store(setCookie: string | string[] | undefined): void {
    for (const line of [setCookie ?? []].flat()) {
      const [pair, ...attributes] = line.split(';');
      const at = pair!.indexOf('=');
      if (at <= 0) continue;
      const name = pair!.slice(0, at).trim();
      const value = pair!.slice(at + 1).trim();
      const path =
        attributes
          .map((item) => item.trim())
          .find((item) => /^path=/i.test(item))
          ?.slice(5) || '/';
      const expired = attributes.some((item) => /^\s*expires=Thu, 01 Jan 1970/i.test(item)) || value === '';
      const existing = this.cookies.findIndex((cookie) => cookie.name === name && cookie.path === path);
      if (existing !== -1) this.cookies.splice(existing, 1);
      if (!expired) this.cookies.push({ name, value, path });
    }
  }

  header(url: URL): string {
    return this.cookies
      .filter(
        (cookie) =>
          url.pathname === cookie.path ||
          url.pathname.startsWith(cookie.path.endsWith('/') ? cookie.path : `${cookie.path}/`) ||
          cookie.path === '/',
      )
      .map((cookie) => `${cookie.name}=${cookie.value}`)
      .join('; ');
  }
}

export interface SimulatedUserOptions {
  login?: string;
  /** For the device flow's code-entry page when the URL does not carry the code. */
  userCode?: string;
  maxSteps?: number;
  timeoutMs?: number;
}

export interface SimulatedUserResult {
  /** The last URL loaded: the client's redirect URI for a code flow. */
  finalUrl: string;
  status: number;
  steps: number;
}

export async function simulateUser(startUrl: string, options: SimulatedUserOptions = {}): Promise<SimulatedUserResult> {
  const jar = new CookieJar();
  const origin = new URL(startUrl).origin;
  let url = new URL(startUrl);
  let method: 'GET' | 'POST' = 'GET';
  let body: string | undefined;
  const maxSteps = options.maxSteps ?? 30;
  const signal = AbortSignal.timeout(options.timeoutMs ?? 30_000);
  for (let steps = 1; steps <= maxSteps; steps++) {
    const headers: Record<string, string> = { 'user-agent': 'oauth-simulated-user' };
    const cookie = url.origin === origin ? jar.header(url) : '';
    if (cookie) headers.cookie = cookie;
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await request(url, { method, headers, body: body ?? null, signal });
    const text = await response.body.text();
    if (url.origin === origin) jar.store(response.headers['set-cookie']);
    if (url.origin !== origin) return { finalUrl: url.href, status: response.statusCode, steps };
    if (response.statusCode >= 300 && response.statusCode < 400 && response.headers.location) {
      url = new URL(String(response.headers.location), url);
      method = 'GET';
      body = undefined;
      continue;
    }
    const form = parseForm(text, url);
    if (!form) return { finalUrl: url.href, status: response.statusCode, steps };
    const fields = new URLSearchParams(form.fields);
    if (fields.has('login')) fields.set('login', options.login ?? 'alice');
    if (fields.has('password')) fields.set('password', 'any');
    if (fields.has('user_code') && !fields.get('user_code') && options.userCode)
      fields.set('user_code', options.userCode);
    url = form.action;
    method = 'POST';
    body = fields.toString();
  }
  throw new Error(`the sign-in did not finish within ${maxSteps} steps`);
}

function parseForm(html: string, base: URL): { action: URL; fields: Array<[string, string]> } | undefined {
  const form = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) return undefined;
  const action = /action="([^"]*)"/i.exec(form[1]!)?.[1] ?? base.pathname;
  const fields: Array<[string, string]> = [];
  for (const input of form[2]!.matchAll(/<input\b([^>]*)>/gi)) {
    const name = /name="([^"]*)"/i.exec(input[1]!)?.[1];
    if (!name) continue;
    fields.push([name, decodeEntities(/value="([^"]*)"/i.exec(input[1]!)?.[1] ?? '')]);
  }
  return { action: new URL(decodeEntities(action), base), fields };
}

function decodeEntities(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
