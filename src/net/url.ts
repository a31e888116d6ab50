// The URL policy, one for the whole tool, kept apart from http.ts so that using it does not load undici.
// - A URL the user gives (flag, environment, profile): an absolute URL; https, or http on a loopback host unless
//   --insecure; credentials in it (https://user:password@host) are removed before any use.
// - A URL a server gives (metadata endpoints, a device verification URI): the same rules, but a bad value is the
//   server's failure (exit 5) and names the member it came from.
// - The browser only ever gets an http(s) URL (see browser.ts).
import { CliError } from '../errors.js';
import { describeJsonType } from '../errors.js';
import { redactText, redactUrl } from '../redact.js';

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    host === 'localhost' ||
    host === '::1' ||
    /^127(?:\.\d{1,3}){3}$/.test(host) ||
    // 127.0.0.0/8 as an IPv4-mapped IPv6 address (RFC 4291 §2.5.5.2), as the URL parser writes it: [::ffff:7f00:1].
    /^::ffff:(?:7f[0-9a-f]{2}:[0-9a-f]{1,4}|127(?:\.\d{1,3}){3})$/.test(host)
  );
}

/** Whether plain http is acceptable for this URL: only to loopback hosts, unless the user said --insecure. */
export function isSecureUrl(url: URL, insecure: boolean): boolean {
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && (insecure || isLoopbackHost(url.hostname));
}

/** https everywhere; http only to loopback addresses unless the user said --insecure. */
export function assertSecureUrl(url: URL, insecure: boolean, purpose: string): void {
  if (isSecureUrl(url, insecure)) return;
  if (url.protocol === 'http:') {
    throw new CliError(
      'INSECURE_URL',
      `Refusing plain http for the ${purpose} at ${redactUrl(url.href)}: only loopback hosts may use http.`,
      {
        hint: 'Use https, or pass --insecure if you really mean an unencrypted connection.',
      },
    );
  }
  throw new CliError('INSECURE_URL', `The ${purpose} URL must be http(s), not ${printableScheme(url)}.`);
}

/** A URL the user gave. Credentials in it are dropped: they are never sent, and never printed. */
export function parseUrl(value: string, purpose: string, example = 'https://issuer.example.com'): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError('USAGE', `The ${purpose} "${redactText(value)}" is not an absolute URL.`, {
      hint: `Give a full URL such as ${example}.`,
    });
  }
  return withoutCredentials(url);
}

/** The URL without user:password@ (git and curl drop them from what they print, we from what we use). */
export function withoutCredentials(url: URL): URL {
  if (!url.username && !url.password) return url;
  const clean = new URL(url.href);
  clean.username = '';
  clean.password = '';
  return clean;
}

/**
 * A URL an authorization server handed us in `member` (metadata, a device authorization response). Anything but an
 * absolute http(s) URL allowed by the policy is the server's error: exit 5, naming the member.
 */
export function serverUrl(value: unknown, member: string, insecure: boolean, from = 'the server'): URL {
  const fail = (what: string, hint?: string) =>
    new CliError('METADATA_INVALID', `The ${member} from ${from} ${what}.`, {
      details: { member },
      ...(hint ? { hint } : {}),
    });
  if (typeof value !== 'string') throw fail(`is not a string (${describeJsonType(value, { showValue: true })})`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw fail(`is not an absolute URL: ${JSON.stringify(redactText(value.slice(0, 200)))}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw fail(`is a ${printableScheme(url)} URL; only https (or http on loopback) is used`);
  if (!isSecureUrl(url, insecure)) {
    throw fail(
      `uses plain http to a host that is not loopback (${redactUrl(url.origin)})`,
      'Fix the server’s configuration, or pass --insecure if you really mean an unencrypted connection.',
    );
  }
  return withoutCredentials(url);
}

function printableScheme(url: URL): string {
  return JSON.stringify(url.protocol.slice(0, 40));
}
