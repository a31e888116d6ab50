// URL rules shared by every command, kept apart from http.ts so that using them does not load undici.
import { CliError } from './errors.js';
import { redactText, redactUrl } from './redact.js';

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/** https everywhere; http only to loopback addresses unless the user said --insecure. */
export function assertSecureUrl(url: URL, insecure: boolean, purpose: string): void {
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && (insecure || isLoopbackHost(url.hostname))) return;
  if (url.protocol === 'http:') {
    throw new CliError('INSECURE_URL', `Refusing plain http for the ${purpose} at ${redactUrl(url.href)}: only loopback hosts may use http.`, {
      hint: 'Use https, or pass --insecure if you really mean an unencrypted connection.',
    });
  }
  throw new CliError('INSECURE_URL', `The ${purpose} URL must be http(s), not ${url.protocol}`);
}

export function parseUrl(value: string, purpose: string): URL {
  try {
    return new URL(value);
  } catch {
    throw new CliError('USAGE', `The ${purpose} "${redactText(value)}" is not an absolute URL.`, {
      hint: 'Give a full URL such as https://issuer.example.com.',
    });
  }
}

