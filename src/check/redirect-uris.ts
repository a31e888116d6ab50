// Redirect URI rules (RFC 6749 §3.1.2, RFC 8252, RFC 9700 §4.1). Pure: URIs in, findings out.
import { finding, type Finding } from './catalog.js';

const DANGEROUS_SCHEMES = new Set(['javascript:', 'data:', 'file:', 'vbscript:', 'blob:', 'about:']);
const PATTERN = /[*]|\(\.\*\)|\{[^}]*\}|\[\^|\\[dws]/;

export function isLoopbackLiteral(hostname: string): boolean {
  return hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}

export function checkRedirectUri(uri: string): Finding[] {
  if (PATTERN.test(uri)) {
    return [
      finding(
        'redirect-uri-wildcard',
        uri,
        `${JSON.stringify(uri)} is a pattern; servers must match redirect URIs exactly, and a pattern lets an attacker pick a URI that fits.`,
      ),
    ];
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1]?.toLowerCase();
  if (scheme && DANGEROUS_SCHEMES.has(`${scheme}:`)) {
    return [
      finding(
        'redirect-uri-dangerous-scheme',
        uri,
        `${JSON.stringify(uri)} uses the ${scheme}: scheme, which runs code or reads local data instead of reaching the client.`,
      ),
    ];
  }
  let url: URL;
  try {
    url = new URL(uri);
    if (!scheme) throw new Error('relative');
  } catch {
    return [finding('redirect-uri-not-absolute', uri, `${JSON.stringify(uri)} is not an absolute URI.`)];
  }
  const findings: Finding[] = [];
  if (uri.includes('#'))
    findings.push(
      finding('redirect-uri-fragment', uri, `${JSON.stringify(uri)} has a fragment (#${url.hash.slice(1)}).`),
    );
  if (url.username || url.password)
    findings.push(
      finding('redirect-uri-userinfo', uri, `${JSON.stringify(uri)} contains user information before the host.`),
    );
  if (url.protocol === 'http:') {
    if (url.hostname === 'localhost')
      findings.push(
        finding(
          'redirect-uri-localhost',
          uri,
          `${JSON.stringify(uri)} uses "localhost" rather than a loopback IP literal.`,
        ),
      );
    else if (!isLoopbackLiteral(url.hostname))
      findings.push(
        finding(
          'redirect-uri-http',
          uri,
          `${JSON.stringify(uri)} sends the authorization code over plain http to ${url.hostname}.`,
        ),
      );
  } else if (url.protocol !== 'https:' && !scheme!.includes('.')) {
    findings.push(
      finding(
        'redirect-uri-custom-scheme',
        uri,
        `The custom scheme "${scheme}:" in ${JSON.stringify(uri)} is not reverse-domain (like com.example.app:), so another app could claim it.`,
      ),
    );
  }
  return findings;
}

export function checkRedirectUris(uris: string[]): Finding[] {
  return uris.flatMap(checkRedirectUri);
}
