// Client ID metadata documents (draft-ietf-oauth-client-id-metadata-document): the client id is an https URL and the
// JSON document served there is the client's registration. The server fetches it, so what it says must be safe for
// anyone to read: its own URL as client_id, exact redirect URIs, no shared secret. Pure: the URL and document in,
// findings out (the redirect URIs then go through the redirect-URI rules like any registration's).
import { finding, type Finding } from './catalog.js';

/** A client id that names a document rather than a registration: an http(s) URL. */
export function isClientIdUrl(clientId: string): boolean {
  return /^https?:\/\//i.test(clientId);
}

/** The draft's §3 rules for the URL itself. */
export function checkClientIdUrl(clientId: string): Finding[] {
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    return [urlFinding(clientId, 'is not a URL')];
  }
  const problems: string[] = [];
  if (url.protocol !== 'https:') problems.push('does not use https');
  if (url.pathname === '/' || url.pathname === '') problems.push('has no path');
  if (/(^|\/)\.\.?(\/|$)/.test(clientId.replace(/^[a-z]+:\/\/[^/]*/i, '').split(/[?#]/)[0]!))
    problems.push('has a "." or ".." path segment');
  if (clientId.includes('#')) problems.push('has a fragment');
  if (url.username || url.password) problems.push('contains a user name or password');
  return problems.map((problem) => urlFinding(clientId, problem));
}

function urlFinding(clientId: string, problem: string): Finding {
  return finding('client-document-url', clientId, `The client id ${JSON.stringify(clientId)} ${problem}.`);
}

const SHARED_SECRET_METHODS = new Set(['client_secret_basic', 'client_secret_post', 'client_secret_jwt']);

/** The document at the client id URL: undefined with `error` when it could not be fetched or read as a JSON object. */
export function checkClientDocument(clientId: string, document: unknown, error?: string): Finding[] {
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    return [
      finding(
        'client-document-unavailable',
        clientId,
        error ?? `The client ID metadata document at ${clientId} is not a JSON object.`,
      ),
    ];
  }
  const doc = document as Record<string, unknown>;
  const findings: Finding[] = [];
  if (doc.client_id !== clientId) {
    findings.push(
      finding(
        'client-document-client-id',
        clientId,
        doc.client_id === undefined
          ? `The document at ${clientId} has no client_id member.`
          : `The document's client_id ${JSON.stringify(doc.client_id)} is not exactly its URL ${clientId}.`,
      ),
    );
  }
  const uris = doc.redirect_uris;
  if (!Array.isArray(uris) || uris.length === 0 || !uris.every((uri) => typeof uri === 'string')) {
    findings.push(
      finding(
        'client-document-redirect-uris',
        clientId,
        uris === undefined
          ? `The document at ${clientId} lists no redirect_uris.`
          : `The document's redirect_uris is not a non-empty list of strings (${JSON.stringify(uris).slice(0, 120)}).`,
      ),
    );
  }
  const method = doc.token_endpoint_auth_method;
  for (const member of ['client_secret', 'client_secret_expires_at'])
    if (doc[member] !== undefined)
      findings.push(finding('client-document-secret', clientId, `The document at ${clientId} has a ${member} member.`));
  if (typeof method === 'string' && SHARED_SECRET_METHODS.has(method))
    findings.push(
      finding(
        'client-document-secret',
        clientId,
        `The document's token_endpoint_auth_method is ${method}, a shared secret no published document can keep.`,
      ),
    );
  if (doc.jwks_uri !== undefined && !(typeof doc.jwks_uri === 'string' && /^https:\/\//i.test(doc.jwks_uri)))
    findings.push(
      finding(
        'client-document-jwks-uri',
        String(doc.jwks_uri),
        `The document's jwks_uri ${JSON.stringify(doc.jwks_uri)} is not an https URL.`,
      ),
    );
  return findings;
}
