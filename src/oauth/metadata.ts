// Authorization server metadata as a hostile or careless server may serve it (RFC 8414 §2, OIDC Discovery §3): every
// member this tool reads is checked for its type before anything uses it, and every endpoint goes through the URL
// policy. A bad member is the server's failure (exit 5) naming the member, never a crash later on.
import type { AuthorizationServer } from 'oauth4webapi';
import { CliError } from '../errors.js';
import { describeJsonType } from '../errors.js';
import { serverUrl } from '../net/url.js';

/** Members that hold a URL this tool may call or hand to a browser. */
const URL_MEMBER = /_endpoint$|^jwks_uri$|^check_session_iframe$/;
/** Boolean members (RFC 8414, OIDC Discovery, RFC 9207, RFC 9126, RFC 8705, OIDC logout). */
const BOOLEAN_MEMBER =
  /^require_|_parameter_supported$|_logout_supported$|_session_supported$|^tls_client_certificate_bound_access_tokens$/;
/** Everything else named *_supported is a list of strings (scopes, grant types, algorithms, methods…). */
const LIST_MEMBER = /_supported$/;

export interface MetadataTypeProblem {
  member: string;
  wanted: string;
  value: unknown;
}

/** Members whose value is not of the type the specifications give them. */
export function metadataTypeProblems(metadata: Record<string, unknown>): MetadataTypeProblem[] {
  const problems: MetadataTypeProblem[] = [];
  const expect = (ok: boolean, member: string, value: unknown, wanted: string) =>
    ok || problems.push({ member, wanted, value });
  for (const [member, value] of Object.entries(metadata)) {
    if (value === undefined) continue;
    if (URL_MEMBER.test(member)) expect(typeof value === 'string', member, value, 'a URL string');
    else if (BOOLEAN_MEMBER.test(member)) expect(typeof value === 'boolean', member, value, 'true or false');
    else if (LIST_MEMBER.test(member))
      expect(
        Array.isArray(value) && value.every((item) => typeof item === 'string'),
        member,
        value,
        'a list of strings',
      );
  }
  const aliases = metadata.mtls_endpoint_aliases;
  if (
    aliases !== undefined &&
    expect(
      aliases !== null && typeof aliases === 'object' && !Array.isArray(aliases),
      'mtls_endpoint_aliases',
      aliases,
      'an object',
    ) === true
  ) {
    for (const [member, value] of Object.entries(aliases as Record<string, unknown>))
      expect(typeof value === 'string', `mtls_endpoint_aliases.${member}`, value, 'a URL string');
  }
  return problems;
}

export function describeProblem(problem: MetadataTypeProblem): string {
  const { value } = problem;
  // A list with an item of another type is described by that item: "not an array" would say nothing.
  const odd = Array.isArray(value) ? value.findIndex((item) => typeof item !== 'string') : -1;
  const actual =
    odd >= 0
      ? `an array whose item ${odd} is ${describeJsonType((value as unknown[])[odd], { showValue: true })}`
      : describeJsonType(value, { showValue: true });
  return `${problem.member} must be ${problem.wanted}, not ${actual}`;
}

/** The metadata, once every member is of its type and every endpoint passes the URL policy. */
export function checkMetadata(metadata: Record<string, unknown>, insecure: boolean, from: string): AuthorizationServer {
  const [problem] = metadataTypeProblems(metadata);
  if (problem) {
    throw new CliError('METADATA_INVALID', `The ${describeProblem(problem)} (in ${from}).`, {
      hint: 'The server’s metadata is malformed; "oauth check --issuer <url>" lists every problem in it.',
      details: { member: problem.member },
    });
  }
  for (const [member, value] of Object.entries(metadata))
    if (URL_MEMBER.test(member) && value !== undefined) serverUrl(value, member, insecure, from);
  for (const [member, value] of Object.entries((metadata.mtls_endpoint_aliases ?? {}) as Record<string, unknown>))
    serverUrl(value, `mtls_endpoint_aliases.${member}`, insecure, from);
  return metadata as AuthorizationServer;
}
