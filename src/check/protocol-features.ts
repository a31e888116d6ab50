// Metadata rules for the sender-constraining and signed-request features: PAR (RFC 9126), DPoP (RFC 9449), mTLS
// (RFC 8705), JARM, request objects (RFC 9101) and RAR (RFC 9396). A member of the wrong type is reported once, by
// server-metadata-type; these rules read only what has the right type, so hostile metadata cannot make them throw.
import { finding, type Finding } from './catalog.js';
import { isLoopbackLiteral } from './redirect-uris.js';

/** Algorithm lists with a rule of their own here; the generic alg-none rule leaves them to it. */
export const OWN_ALG_RULES = new Set([
  'dpop_signing_alg_values_supported',
  'authorization_signing_alg_values_supported',
  'request_object_signing_alg_values_supported',
]);

/** Enough of a long list to name it in a message; a hostile server's 100,000 items are not printed. */
const SHOWN = 5;

function strings(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((item): item is string => typeof item === 'string') ? value : undefined;
}

function quoted(items: readonly string[]): string {
  const shown = items.slice(0, SHOWN).map((item) => JSON.stringify(item));
  return items.length > SHOWN ? `${shown.join(', ')} and ${items.length - SHOWN} more` : shown.join(', ');
}

const isNone = (alg: string) => alg.toLowerCase() === 'none';
const isHmac = (alg: string) => /^HS\d+$/i.test(alg);

function httpsOrLoopback(value: string): boolean {
  try {
    const url = new URL(value);
    return (
      url.protocol === 'https:' ||
      (url.protocol === 'http:' && (isLoopbackLiteral(url.hostname) || url.hostname === 'localhost'))
    );
  } catch {
    return false;
  }
}

/** JARM is offered: a *.jwt response mode, or a list of algorithms to sign authorization responses with. */
export function offersJarm(metadata: Record<string, unknown>): boolean {
  const modes = strings(metadata.response_modes_supported) ?? [];
  return (
    modes.some((mode) => mode === 'jwt' || mode.endsWith('.jwt')) ||
    strings(metadata.authorization_signing_alg_values_supported) !== undefined
  );
}

export function checkProtocolFeatures(metadata: Record<string, unknown>, issuer: string): Finding[] {
  return [
    ...checkPar(metadata),
    ...checkDpop(metadata),
    ...checkMtls(metadata, issuer),
    ...checkJarm(metadata),
    ...checkRequestObjects(metadata),
    ...checkRar(metadata),
  ];
}

function checkPar(metadata: Record<string, unknown>): Finding[] {
  const member = 'pushed_authorization_request_endpoint';
  // Its URL (https or not) is checked with every other endpoint, by server-endpoint-not-https.
  // A server without an authorization endpoint (client credentials only) has no authorization requests to push.
  if (metadata[member] !== undefined || typeof metadata.authorization_endpoint !== 'string') return [];
  if (metadata.require_pushed_authorization_requests === true) {
    return [
      finding(
        'server-par-required-no-endpoint',
        member,
        'require_pushed_authorization_requests is true, but the metadata lists no pushed_authorization_request_endpoint: no client can make an authorization request.',
      ),
    ];
  }
  return [finding('server-no-par', member, 'The metadata lists no pushed_authorization_request_endpoint (RFC 9126).')];
}

function checkDpop(metadata: Record<string, unknown>): Finding[] {
  const member = 'dpop_signing_alg_values_supported';
  const algs = strings(metadata[member]);
  if (!algs) return [];
  if (algs.length === 0) {
    return [finding('server-dpop-algs-empty', member, `${member} is an empty list: no client can make a DPoP proof.`)];
  }
  const weak = algs.filter((alg) => isNone(alg) || isHmac(alg));
  return weak.length === 0
    ? []
    : [
        finding(
          'server-dpop-alg-not-asymmetric',
          member,
          `${member} includes ${quoted(weak)}: a DPoP proof must be signed with an asymmetric key.`,
        ),
      ];
}

function checkMtls(metadata: Record<string, unknown>, issuer: string): Finding[] {
  const findings: Finding[] = [];
  const aliases = metadata.mtls_endpoint_aliases;
  const aliasObject =
    aliases !== null && typeof aliases === 'object' && !Array.isArray(aliases)
      ? (aliases as Record<string, unknown>)
      : undefined;
  const tokenEndpoint = metadata.token_endpoint;
  const tokenAlias = aliasObject?.token_endpoint;
  const tlsTokenEndpoint = [tokenAlias, tokenEndpoint].some(
    (url) => typeof url === 'string' && url.startsWith('https://'),
  );
  if (metadata.tls_client_certificate_bound_access_tokens === true && !tlsTokenEndpoint) {
    findings.push(
      finding(
        'server-mtls-no-tls-endpoint',
        'tls_client_certificate_bound_access_tokens',
        `tls_client_certificate_bound_access_tokens is true, but neither mtls_endpoint_aliases.token_endpoint nor token_endpoint (${JSON.stringify(tokenEndpoint ?? null)}) is an https URL where a client could present its certificate.`,
      ),
    );
  }
  for (const [name, value] of Object.entries(aliasObject ?? {}).slice(0, 100)) {
    if (typeof value !== 'string') continue;
    // The server names the members too: escaped, like every value it sends.
    const member = `mtls_endpoint_aliases.${JSON.stringify(name).slice(1, -1)}`;
    if (!httpsOrLoopback(value)) {
      findings.push(
        finding('server-endpoint-not-https', value, `${member} is ${JSON.stringify(value)}, not an https URL.`),
      );
    } else if (!sameSite(value, issuer)) {
      findings.push(
        finding(
          'server-mtls-alias-other-site',
          value,
          `${member} is ${JSON.stringify(value)}, on another site than the issuer ${JSON.stringify(issuer)}.`,
        ),
      );
    }
  }
  return findings;
}

/**
 * An alias may be on its own host (mtls.example.com next to example.com), not on someone else's. Without a public
 * suffix list, "the same site" is: the issuer's host, or a host under the issuer's parent domain (its host minus the
 * first label, when that leaves at least two labels). An IP literal has no parent: the alias must use the same IP.
 */
function sameSite(alias: string, issuer: string): boolean {
  let aliasHost: string;
  let issuerHost: string;
  try {
    aliasHost = new URL(alias).hostname.toLowerCase();
    issuerHost = new URL(issuer).hostname.toLowerCase();
  } catch {
    return true; // an issuer that is no URL is reported by the issuer rules; nothing to compare with
  }
  if (aliasHost === issuerHost) return true;
  if (/^[\d.]+$|^\[/.test(issuerHost)) return false;
  const labels = issuerHost.split('.');
  const parent = labels.length >= 3 ? labels.slice(1).join('.') : issuerHost;
  return aliasHost === parent || aliasHost.endsWith(`.${parent}`);
}

function checkJarm(metadata: Record<string, unknown>): Finding[] {
  const findings: Finding[] = [];
  const member = 'authorization_signing_alg_values_supported';
  const weak = (strings(metadata[member]) ?? []).filter((alg) => isNone(alg) || isHmac(alg));
  if (weak.length > 0) {
    findings.push(
      finding(
        'server-jarm-alg-not-asymmetric',
        member,
        `${member} includes ${quoted(weak)}: a signed authorization response must be verifiable with the server\u2019s public keys.`,
      ),
    );
  }
  if (offersJarm(metadata) && metadata.authorization_response_iss_parameter_supported !== true) {
    findings.push(
      finding(
        'server-jarm-no-iss-parameter',
        'authorization_response_iss_parameter_supported',
        'The server offers JWT-secured authorization responses (JARM) but does not say it sends iss in plain ones (RFC 9207): a client accepting both modes has no mix-up defence in the plain ones.',
      ),
    );
  }
  return findings;
}

function checkRequestObjects(metadata: Record<string, unknown>): Finding[] {
  const findings: Finding[] = [];
  const member = 'request_object_signing_alg_values_supported';
  const algs = strings(metadata[member]) ?? [];
  if (algs.some(isNone)) {
    findings.push(
      finding(
        'server-request-object-alg-none',
        member,
        `${member} includes "none": anyone can make a request object in the client\u2019s name.`,
      ),
    );
  }
  const hmac = algs.filter(isHmac);
  if (hmac.length > 0) {
    findings.push(
      finding(
        'server-request-object-alg-symmetric',
        member,
        `${member} includes ${quoted(hmac)}: such request objects are signed with the client secret.`,
      ),
    );
  }
  // OpenID Discovery defaults: request_parameter_supported false, request_uri_parameter_supported true.
  const byValue = metadata.request_parameter_supported === true;
  const byReference = metadata.request_uri_parameter_supported !== false;
  const pushed = typeof metadata.pushed_authorization_request_endpoint === 'string';
  if (metadata.require_signed_request_object === true && !byValue && !byReference && !pushed) {
    findings.push(
      finding(
        'server-request-object-required-unusable',
        'require_signed_request_object',
        'require_signed_request_object is true, but request_parameter_supported and request_uri_parameter_supported are false and there is no pushed_authorization_request_endpoint: no client can send a request object.',
      ),
    );
  }
  return findings;
}

function checkRar(metadata: Record<string, unknown>): Finding[] {
  const member = 'authorization_details_types_supported';
  const types = strings(metadata[member]);
  return types && types.length === 0
    ? [
        finding(
          'server-rar-types-empty',
          member,
          `${member} is an empty list: no client can send authorization_details.`,
        ),
      ]
    : [];
}
