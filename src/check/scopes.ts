// Scope rules (RFC 6749 §3.3 grammar, least privilege, what the server supports).
import { finding, type Finding } from './catalog.js';

/** scope-token = 1*( %x21 / %x23-5B / %x5D-7E ) */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const OVERBROAD = new Set([
  '*',
  'all',
  'admin',
  'root',
  'superuser',
  'super_user',
  'full',
  'full_access',
  'fullaccess',
  'everything',
  'god',
  'sudo',
]);

export function checkScopes(scope: string, supported?: readonly string[]): Finding[] {
  const findings: Finding[] = [];
  if (scope !== scope.trim() || /\s{2,}|[\t\n\r]/.test(scope)) {
    findings.push(
      finding(
        'scope-syntax',
        scope,
        `The scope ${JSON.stringify(scope)} has empty entries or separators other than single spaces.`,
      ),
    );
  }
  for (const token of scope.split(/\s+/).filter(Boolean)) {
    // The grammar allows a comma inside a token, but a comma here is nearly always a list written the wrong way:
    // "openid,profile" is one unknown scope, not two.
    if (token.includes(',') || !SCOPE_TOKEN.test(token)) {
      const bad = token.includes(',')
        ? 'a comma (scopes are separated by spaces, so this is one unknown scope)'
        : token.includes('"')
          ? 'a double quote'
          : token.includes('\\')
            ? 'a backslash'
            : 'a character outside the allowed range';
      findings.push(finding('scope-syntax', token, `The scope ${JSON.stringify(token)} contains ${bad}.`));
      continue;
    }
    const name = token.toLowerCase();
    if (OVERBROAD.has(name) || /[:.]\*$/.test(name) || /(^|[:._-])(admin|all)$/.test(name)) {
      findings.push(
        finding(
          'scope-overbroad',
          token,
          `The scope ${JSON.stringify(token)} reads as "everything"; a stolen token with it can do anything.`,
        ),
      );
    }
    if (supported && !supported.includes(token)) {
      findings.push(
        finding('scope-unsupported', token, `The server does not list ${JSON.stringify(token)} in scopes_supported.`),
      );
    }
  }
  return findings;
}
