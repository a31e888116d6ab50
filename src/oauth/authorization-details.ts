// RFC 9396 Rich Authorization Requests: the `authorization_details` a request carries (a JSON array of objects, each
// with a string `type`), read from a flag as JSON or @file, and the ones a token response granted.
import { CliError, describeJsonType } from '../errors.js';
import { readUserFile } from '../settings/user-file.js';

export type AuthorizationDetails = Array<Record<string, unknown> & { type: string }>;

/** Why a value is not authorization details (RFC 9396 §2), in words; undefined when it is. */
export function authorizationDetailsProblem(value: unknown): string | undefined {
  if (!Array.isArray(value)) return `it is ${describeJsonType(value)}, not a JSON array of objects`;
  if (value.length === 0) return 'it is an empty array';
  for (const [index, item] of value.entries()) {
    if (item === null || typeof item !== 'object' || Array.isArray(item))
      return `item ${index} is ${describeJsonType(item)}, not an object`;
    const type = (item as { type?: unknown }).type;
    if (typeof type !== 'string' || type === '')
      return `item ${index} has ${type === undefined ? 'no "type"' : `a "type" that is ${describeJsonType(type)}`}; each needs a non-empty string "type"`;
  }
  return undefined;
}

export function isAuthorizationDetails(value: unknown): value is AuthorizationDetails {
  return authorizationDetailsProblem(value) === undefined;
}

/** `--authorization-details JSON|@file`: checked before any request (exit 2 naming what is wrong). */
export function parseAuthorizationDetails(text: string, origin = '--authorization-details'): AuthorizationDetails {
  const fromFile = text.startsWith('@');
  const json = fromFile ? readUserFile(text.slice(1), origin).toString('utf8') : text;
  const where = fromFile ? `${origin} ${text.slice(1)}` : origin;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new CliError('USAGE', `${where} is not valid JSON.`, { hint: DETAILS_HINT });
  }
  const problem = authorizationDetailsProblem(value);
  if (problem)
    throw new CliError('USAGE', `${where} is not authorization details: ${problem}.`, { hint: DETAILS_HINT });
  return value as AuthorizationDetails;
}

const DETAILS_HINT =
  'Give a JSON array of objects, each with a "type" (RFC 9396 §2), e.g. \'[{"type":"payment_initiation","actions":["initiate"]}]\', or @file to read it from a file.';

/** The details a token response granted (RFC 9396 §7), else the ones asked for; undefined when there are neither. */
export function grantedAuthorizationDetails(
  response: { authorization_details?: unknown },
  requested: AuthorizationDetails | undefined,
): AuthorizationDetails | undefined {
  const granted = response.authorization_details;
  if (granted !== undefined) {
    const problem = authorizationDetailsProblem(granted);
    if (problem) {
      const reason = `the token response's authorization_details ${problem.replace(/^it /, '')} (RFC 9396 §7)`;
      throw new CliError('PROTOCOL_ERROR', `The token response was refused: ${reason}.`, { reason });
    }
    return granted as AuthorizationDetails;
  }
  return requested;
}
