// Live probes (opt-in with --probe). They send authorization requests and one token request, never follow a
// redirect and never sign in as anyone: each answer is classified, and each probe is one finding with its evidence.
import { createHash, randomBytes } from 'node:crypto';
import type { HttpClient, HttpResponse } from '../net/http.js';
import { redactUrl } from '../redact.js';
import { finding, type Finding } from './catalog.js';
import { isLoopbackLiteral } from './redirect-uris.js';

export interface ProbeTarget {
  authorizationEndpoint?: string | undefined;
  tokenEndpoint?: string | undefined;
  clientId: string;
  redirectUris: string[];
  isPublic: boolean;
  scope?: string | undefined;
  clientSecret?: string | undefined;
}

export interface Variant {
  kind: string;
  uri: string;
}

/** Near misses of a registered redirect URI that an exact-matching server must refuse. */
export function redirectVariants(registered: string): Variant[] {
  let url: URL;
  try {
    url = new URL(registered);
  } catch {
    return [];
  }
  const variants: Variant[] = [];
  const add = (kind: string, change: (copy: URL) => void) => {
    const copy = new URL(url.href);
    change(copy);
    if (copy.href !== url.href) variants.push({ kind, uri: copy.href });
  };
  add('extra path segment', (copy) => void (copy.pathname = `${copy.pathname.replace(/\/$/, '')}/evil`));
  add('extra query parameter', (copy) => copy.searchParams.append('oauth_check', '1'));
  add(
    'trailing slash',
    (copy) =>
      void (copy.pathname = copy.pathname.endsWith('/') ? copy.pathname.slice(0, -1) || '/' : `${copy.pathname}/`),
  );
  add(
    'changed case',
    (copy) => void (copy.pathname = copy.pathname.replace(/[a-z]/, (letter) => letter.toUpperCase())),
  );
  add('another host', (copy) => void (copy.hostname = 'oauth-check.invalid'));
  if (url.protocol === 'https:') add('http instead of https', (copy) => void (copy.protocol = 'http:'));
  const loopback = url.protocol === 'http:' && (isLoopbackLiteral(url.hostname) || url.hostname === 'localhost');
  if (!loopback && /^https?:$/.test(url.protocol))
    add(
      'another port',
      (copy) => void (copy.port = String(Number(copy.port || (copy.protocol === 'https:' ? 443 : 80)) + 1)),
    );
  return variants;
}

/** accepted: the server went on with the request — to its sign-in, or straight back to the registered URI with a code. */
export type Outcome = 'redirected-to-variant' | 'refused' | 'accepted' | 'inconclusive';

function sameTarget(location: URL, target: URL): boolean {
  return (
    location.origin === target.origin &&
    location.pathname === target.pathname &&
    [...target.searchParams].every(([name, value]) => location.searchParams.get(name) === value)
  );
}

/** What the server did with an authorization request whose redirect_uri was `requested`. */
export function classify(
  response: Pick<HttpResponse, 'status' | 'headers' | 'body'>,
  endpoint: string,
  requested: string,
  registered: string,
): Outcome {
  const location = response.headers.location;
  if (response.status >= 300 && response.status < 400 && location) {
    let target: URL;
    try {
      target = new URL(location, endpoint);
    } catch {
      return 'inconclusive';
    }
    if (requested !== registered && sameTarget(target, new URL(requested))) return 'redirected-to-variant';
    if (sameTarget(target, new URL(registered))) {
      if (target.searchParams.has('error')) return 'refused';
      return requested === registered ? 'accepted' : 'inconclusive';
    }
    if (target.origin === new URL(endpoint).origin) return 'accepted';
    return 'inconclusive';
  }
  const body = response.body.subarray(0, 64 * 1024).toString('utf8');
  if (response.status === 200 && /type=["']?password|name=["']?(login|username|password)\b/i.test(body))
    return 'accepted';
  if (response.status >= 400 && response.status < 500) return 'refused';
  if (response.status === 200) return 'refused';
  return 'inconclusive';
}

const random = () => randomBytes(32).toString('base64url');
const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

export async function runProbes(target: ProbeTarget, http: HttpClient): Promise<Finding[]> {
  const findings: Finding[] = [];
  if (target.authorizationEndpoint)
    findings.push(...(await probeAuthorization(target, target.authorizationEndpoint, http)));
  if (target.tokenEndpoint && target.redirectUris[0])
    findings.push(await probeTokenEndpoint(target, target.tokenEndpoint, target.redirectUris[0], http));
  return findings;
}

async function authorize(
  http: HttpClient,
  endpoint: string,
  target: ProbeTarget,
  registered: string,
  redirectUri: string,
  pkce: 'S256' | 'plain' | 'none',
) {
  const url = new URL(endpoint);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', target.clientId);
  url.searchParams.set('redirect_uri', redirectUri);
  url.searchParams.set('scope', target.scope || 'openid');
  url.searchParams.set('state', random());
  const verifier = random();
  if (pkce === 'S256') {
    url.searchParams.set('code_challenge', s256(verifier));
    url.searchParams.set('code_challenge_method', 'S256');
  } else if (pkce === 'plain') {
    url.searchParams.set('code_challenge', verifier);
    url.searchParams.set('code_challenge_method', 'plain');
  }
  const response = await http.request({ url, purpose: 'authorization endpoint', headers: { accept: 'text/html' } });
  const outcome = classify(response, endpoint, redirectUri, registered);
  const evidence = {
    request: `GET ${redactUrl(url.href)}`,
    status: response.status,
    ...(response.headers.location ? { location: redactUrl(response.headers.location) } : {}),
  };
  return { response, outcome, evidence };
}

async function probeAuthorization(target: ProbeTarget, endpoint: string, http: HttpClient): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const registered of target.redirectUris) {
    const baseline = await authorize(http, endpoint, target, registered, registered, 'S256');
    if (baseline.outcome !== 'accepted') {
      findings.push(
        finding(
          'probe-inconclusive',
          registered,
          `The registered redirect URI ${registered} itself was not accepted (HTTP ${baseline.response.status}); check the client id and its registration. Its variants were not probed.`,
          baseline.evidence,
        ),
      );
      continue;
    }
    for (const variant of redirectVariants(registered)) {
      const { outcome, evidence } = await authorize(http, endpoint, target, registered, variant.uri, 'S256');
      findings.push(redirectProbeFinding(outcome, variant, registered, evidence));
    }
    if (target.isPublic) {
      for (const method of ['none', 'plain'] as const) {
        const { outcome, evidence } = await authorize(http, endpoint, target, registered, registered, method);
        findings.push(pkceProbeFinding(outcome, method, target.clientId, evidence));
      }
    }
  }
  return findings;
}

async function probeTokenEndpoint(
  target: ProbeTarget,
  endpoint: string,
  redirectUri: string,
  http: HttpClient,
): Promise<Finding> {
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    code: random(),
    redirect_uri: redirectUri,
    code_verifier: random(),
  });
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (target.clientSecret) {
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(target.clientId)}:${encodeURIComponent(target.clientSecret)}`).toString('base64')}`;
  } else {
    body.set('client_id', target.clientId);
  }
  const response = await http.request({
    url: endpoint,
    method: 'POST',
    purpose: 'token endpoint',
    headers,
    body: body.toString(),
  });
  return tokenEndpointFinding(response, target, endpoint);
}

/** What one redirect-URI variant's answer means: the probe's finding for it. */
export function redirectProbeFinding(
  outcome: Outcome,
  variant: Variant,
  registered: string,
  evidence: Record<string, unknown>,
): Finding {
  const what = `${variant.kind}: ${variant.uri}`;
  if (outcome === 'redirected-to-variant') {
    return finding(
      'probe-redirect-uri-matching',
      variant.uri,
      `The server redirected to an unregistered redirect URI (${what}); registered is ${registered}. An attacker can receive codes this way.`,
      evidence,
    );
  }
  if (outcome === 'accepted') {
    return finding(
      'probe-redirect-uri-accepted',
      variant.uri,
      `The server accepted an unregistered redirect URI (${what}) and went on to sign-in.`,
      evidence,
    );
  }
  if (outcome === 'refused') return finding('probe-redirect-uri-refused', variant.uri, `Refused (${what}).`, evidence);
  return finding(
    'probe-inconclusive',
    variant.uri,
    `Inconclusive (${what}): HTTP ${String(evidence.status)}${'location' in evidence ? ` to ${String(evidence.location)}` : ''}.`,
    evidence,
  );
}

/** What a public client's authorization request without PKCE (none) or with plain PKCE getting `outcome` means. */
export function pkceProbeFinding(
  outcome: Outcome,
  method: 'none' | 'plain',
  clientId: string,
  evidence: Record<string, unknown>,
): Finding {
  const label = method === 'none' ? 'without code_challenge' : 'with code_challenge_method=plain';
  if (outcome === 'accepted') {
    return finding(
      method === 'none' ? 'probe-pkce-required' : 'probe-pkce-plain-accepted',
      clientId,
      `The server accepted a public client's authorization request ${label}.`,
      evidence,
    );
  }
  if (outcome === 'refused') return finding('probe-pkce-enforced', clientId, `Refused a request ${label}.`, evidence);
  return finding(
    'probe-inconclusive',
    clientId,
    `Inconclusive: request ${label} got HTTP ${String(evidence.status)}.`,
    evidence,
  );
}

/** What the token endpoint's answer to a made-up code means (RFC 6749 §5.2: 400 invalid_grant, never cached). */
export function tokenEndpointFinding(
  response: Pick<HttpResponse, 'status' | 'headers' | 'body'>,
  target: Pick<ProbeTarget, 'clientSecret' | 'isPublic'>,
  endpoint: string,
): Finding {
  let error: unknown;
  try {
    error = (JSON.parse(response.body.toString('utf8')) as { error?: unknown }).error;
  } catch {
    error = undefined;
  }
  const noStore = /no-store/i.test(response.headers['cache-control'] ?? '');
  const evidence = {
    request: `POST ${endpoint} (grant_type=authorization_code, a made-up code)`,
    status: response.status,
    error: error ?? null,
    'cache-control': response.headers['cache-control'] ?? null,
  };
  if (response.status === 400 && error === 'invalid_grant' && noStore) {
    return finding(
      'probe-token-endpoint-ok',
      endpoint,
      'A made-up code got 400 invalid_grant with Cache-Control: no-store.',
      evidence,
    );
  }
  if (error === 'invalid_client' && !target.clientSecret && !target.isPublic) {
    return finding(
      'probe-inconclusive',
      endpoint,
      'The token endpoint wanted client authentication first (invalid_client); give the client secret to probe it.',
      evidence,
    );
  }
  const problems = [
    response.status !== 400 ? `HTTP ${response.status}` : '',
    error !== 'invalid_grant' ? `error ${JSON.stringify(error ?? null)}` : '',
    noStore ? '' : 'no Cache-Control: no-store',
  ].filter(Boolean);
  return finding(
    'probe-token-endpoint',
    endpoint,
    `A made-up code got ${problems.join(', ')} (expected 400 invalid_grant with Cache-Control: no-store).`,
    evidence,
  );
}
