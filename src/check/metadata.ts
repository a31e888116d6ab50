// Authorization server metadata rules (RFC 8414, RFC 9700, RFC 8725, RFC 9207, RFC 7009).
import { describeProblem, metadataTypeProblems } from '../oauth/metadata.js';
import { finding, type Finding } from './catalog.js';
import { checkProtocolFeatures, OWN_ALG_RULES, offersJarm } from './protocol-features.js';
import { isLoopbackLiteral } from './redirect-uris.js';

const URL_MEMBERS = [
  'authorization_endpoint',
  'token_endpoint',
  'userinfo_endpoint',
  'jwks_uri',
  'registration_endpoint',
  'revocation_endpoint',
  'introspection_endpoint',
  'device_authorization_endpoint',
  'pushed_authorization_request_endpoint',
  'end_session_endpoint',
  'backchannel_authentication_endpoint',
];

export function checkMetadata(metadata: Record<string, unknown>, requestedIssuer: string): Finding[] {
  const findings: Finding[] = [];
  if (metadata.issuer !== requestedIssuer) {
    findings.push(
      finding(
        'server-issuer-mismatch',
        String(metadata.issuer),
        `The metadata says issuer ${JSON.stringify(metadata.issuer)}, but it was fetched for ${JSON.stringify(requestedIssuer)}.`,
      ),
    );
  }
  for (const problem of metadataTypeProblems(metadata)) {
    findings.push(finding('server-metadata-type', problem.member, `${describeProblem(problem)}.`));
  }
  for (const member of URL_MEMBERS) {
    const value = metadata[member];
    if (typeof value !== 'string') continue;
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
    const loopbackHttp = url?.protocol === 'http:' && (isLoopbackLiteral(url.hostname) || url.hostname === 'localhost');
    if (url?.protocol !== 'https:' && !loopbackHttp) {
      findings.push(
        finding('server-endpoint-not-https', value, `${member} is ${JSON.stringify(value)}, not an https URL.`),
      );
    }
  }
  const pkce = metadata.code_challenge_methods_supported;
  if (!Array.isArray(pkce) || !pkce.includes('S256')) {
    findings.push(
      finding(
        'server-pkce-not-advertised',
        'code_challenge_methods_supported',
        `code_challenge_methods_supported is ${JSON.stringify(pkce ?? null)}: clients cannot tell that S256 PKCE is supported.`,
      ),
    );
  }
  if (Array.isArray(pkce) && pkce.includes('plain')) {
    findings.push(finding('server-pkce-plain', 'plain', 'code_challenge_methods_supported includes "plain".'));
  }
  const responseTypes = Array.isArray(metadata.response_types_supported)
    ? (metadata.response_types_supported as unknown[]).map(String)
    : [];
  const tokenTypes = responseTypes.filter((type) => type.split(' ').includes('token'));
  if (tokenTypes.length > 0) {
    findings.push(
      finding(
        'server-implicit',
        tokenTypes.join(', '),
        `response_types_supported offers ${tokenTypes.map((type) => JSON.stringify(type)).join(', ')} (implicit/hybrid with an access token in the front channel).`,
      ),
    );
  }
  if (Array.isArray(metadata.grant_types_supported) && metadata.grant_types_supported.includes('password')) {
    findings.push(finding('server-password-grant', 'password', 'grant_types_supported includes "password".'));
  }
  for (const [member, value] of Object.entries(metadata)) {
    if (
      member.endsWith('_alg_values_supported') &&
      !OWN_ALG_RULES.has(member) &&
      Array.isArray(value) &&
      value.some((alg) => String(alg).toLowerCase() === 'none')
    ) {
      findings.push(finding('server-alg-none', member, `${member} includes "none".`));
    }
  }
  // With JARM on offer, server-jarm-no-iss-parameter says it louder.
  if (metadata.authorization_response_iss_parameter_supported !== true && !offersJarm(metadata)) {
    findings.push(
      finding(
        'server-no-iss-parameter',
        'authorization_response_iss_parameter_supported',
        'The server does not say it sends iss in authorization responses (RFC 9207).',
      ),
    );
  }
  if (typeof metadata.revocation_endpoint !== 'string') {
    findings.push(finding('server-no-revocation', 'revocation_endpoint', 'The metadata lists no revocation_endpoint.'));
  }
  findings.push(...checkProtocolFeatures(metadata, requestedIssuer));
  return findings;
}
