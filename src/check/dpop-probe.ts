// The DPoP probe (RFC 9449 §7): a token bound to a key must be refused at the userinfo endpoint without a proof (as
// DPoP, and as Bearer, §7.2) and with a proof made by another key. First the token is sent with its own proof: a token
// the endpoint refuses even then says nothing about the binding, so the probe is inconclusive, not a pass.
import type { HttpClient, HttpResponse } from '../net/http.js';
import { type DpopKey, generateDpopKey, isUsableNonce, resourceProof } from '../oauth/dpop.js';
import { finding, type Finding } from './catalog.js';

export interface DpopProbeToken {
  accessToken: string;
  key: DpopKey;
  /** Where the token came from, in words ("the session of profile dev"). */
  source: string;
}

export interface DpopProbeTarget {
  userinfoEndpoint: string;
  token: DpopProbeToken;
  nowSeconds: () => number;
  /** The run's secret registry: the other key's private parts are registered there too. */
  secrets: { add(secret: string): unknown };
}

type Presentation = 'own-proof' | 'dpop-no-proof' | 'bearer' | 'other-key';

const DESCRIBED: Record<Presentation, string> = {
  'own-proof': 'Authorization: DPoP with a proof by its own key',
  'dpop-no-proof': 'Authorization: DPoP without a DPoP proof',
  bearer: 'Authorization: Bearer without a DPoP proof',
  'other-key': 'Authorization: DPoP with a valid proof made by another key',
};

export async function probeDpopBinding(target: DpopProbeTarget, http: HttpClient): Promise<Finding[]> {
  const endpoint = target.userinfoEndpoint;
  let nonce: string | undefined;
  const send = async (how: Presentation, key: DpopKey | undefined): Promise<HttpResponse> => {
    const call = (withNonce: string | undefined) => present(target, how, key, withNonce, http);
    let response = await call(nonce);
    // RFC 9449 §9: a server that wants a nonce says so once; the one retry carries it, and it is kept for the rest.
    const given = response.headers['dpop-nonce'];
    if (key && response.status === 401 && /use_dpop_nonce/.test(response.headers['www-authenticate'] ?? '')) {
      if (isUsableNonce(given) && given !== nonce) {
        nonce = given;
        response = await call(nonce);
      }
    } else if (isUsableNonce(given)) nonce = given;
    return response;
  };

  const baseline = await send('own-proof', target.token.key);
  if (!accepted(baseline)) {
    return [
      finding(
        'probe-dpop-inconclusive',
        endpoint,
        `The userinfo endpoint refused ${target.token.source} even with a valid proof by its own key (HTTP ${baseline.status}${challengeError(baseline)}), so whether it enforces the binding cannot be told from it. An access token for another audience (an API's JWT) is refused there whatever the proof: use a token for userinfo (a sign-in with "openid").`,
        evidence('own-proof', endpoint, baseline),
      ),
    ];
  }
  const other = await generateDpopKey(algOf(target.token.key), target.secrets);
  const findings: Finding[] = [];
  for (const [how, key] of [
    ['dpop-no-proof', undefined],
    ['bearer', undefined],
    ['other-key', other],
  ] as const) {
    const response = await send(how, key);
    findings.push(presentationFinding(how, response, endpoint, target.token.source));
  }
  return findings;
}

function algOf(key: DpopKey): Parameters<typeof generateDpopKey>[0] {
  const alg = key.jwk.alg;
  return alg === 'ES384' || alg === 'ES512' || alg === 'PS256' || alg === 'RS256' || alg === 'EdDSA' ? alg : 'ES256';
}

async function present(
  target: DpopProbeTarget,
  how: Presentation,
  key: DpopKey | undefined,
  nonce: string | undefined,
  http: HttpClient,
): Promise<HttpResponse> {
  const token = target.token.accessToken;
  const headers: Record<string, string> = {
    accept: 'application/json',
    authorization: `${how === 'bearer' ? 'Bearer' : 'DPoP'} ${token}`,
  };
  if (key)
    headers.dpop = await resourceProof(
      key,
      { url: target.userinfoEndpoint, method: 'GET', accessToken: token, nonce },
      target.nowSeconds(),
    );
  return http.request({
    url: target.userinfoEndpoint,
    purpose: 'userinfo endpoint (DPoP probe)',
    headers,
    maxBytes: 64 * 1024,
    oversize: 'truncate',
  });
}

const accepted = (response: Pick<HttpResponse, 'status'>) => response.status >= 200 && response.status < 300;
const refused = (response: Pick<HttpResponse, 'status'>) => [400, 401, 403].includes(response.status);

/** The error a refusal names in its challenge (RFC 6750 §3), when it is a plain token. */
function challengeError(response: Pick<HttpResponse, 'headers'>): string {
  const error = /error="?([A-Za-z_]{1,40})"?/.exec(response.headers['www-authenticate'] ?? '')?.[1];
  return error ? `, ${error}` : '';
}

function evidence(how: Presentation, endpoint: string, response: Pick<HttpResponse, 'status' | 'headers'>) {
  const error = challengeError(response).slice(2);
  return {
    request: `GET ${endpoint} (${DESCRIBED[how]})`,
    status: response.status,
    ...(error ? { error } : {}),
  };
}

/** What the userinfo endpoint's answer to one wrong presentation of a DPoP-bound token means. */
export function presentationFinding(
  how: Exclude<Presentation, 'own-proof'>,
  response: Pick<HttpResponse, 'status' | 'headers'>,
  endpoint: string,
  source: string,
): Finding {
  const shown = evidence(how, endpoint, response);
  if (accepted(response)) {
    const id =
      how === 'bearer'
        ? 'probe-dpop-bearer-accepted'
        : how === 'other-key'
          ? 'probe-dpop-other-key-accepted'
          : 'probe-dpop-proof-not-required';
    return finding(
      id,
      endpoint,
      `The userinfo endpoint accepted a DPoP-bound token (${source}) sent as ${DESCRIBED[how]} (HTTP ${response.status}): a stolen token works without its key.`,
      shown,
    );
  }
  if (refused(response))
    return finding(
      'probe-dpop-refused',
      endpoint,
      `Refused a DPoP-bound token sent as ${DESCRIBED[how]} (HTTP ${response.status}${challengeError(response)}).`,
      shown,
    );
  return finding(
    'probe-dpop-inconclusive',
    endpoint,
    `Inconclusive: a DPoP-bound token sent as ${DESCRIBED[how]} got HTTP ${response.status}.`,
    shown,
  );
}
