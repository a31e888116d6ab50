// Reading an HTTP answer as JSON, with the reason when it is not: kept apart from http.ts so that code which only
// reads cached or local documents does not load undici.
import { CliError, sentence, type ErrorCode } from '../errors.js';
import { redactText, redactUrl } from '../redact.js';

/** The shape of a response this module reads (http.ts's HttpResponse, or a cached one). */
export interface JsonResponse {
  url: string;
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export function parseJsonResponse(response: JsonResponse, purpose: string): unknown {
  const where = `the ${purpose} at ${redactUrl(response.url)}`;
  if (response.status >= 300 && response.status < 400) {
    const location = response.headers.location;
    const reason = `${where} answered with a redirect (${response.status}${location ? ` to ${redactUrl(location)}` : ''})`;
    throw new CliError(
      'HTTP_REDIRECT',
      `${capitalize(reason)}; redirects are not followed for OAuth endpoints and key sets.`,
      {
        reason,
        endpoint: purpose,
        status: response.status,
        hint: 'Use the final URL directly if you trust it.',
      },
    );
  }
  if (response.status !== 200) throw statusError(response, purpose);
  const text = response.body.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    const looksHtml = /^\s*</.test(text);
    const reason = `${where} is not JSON${looksHtml ? ' (it looks like an HTML page)' : ''}`;
    throw new CliError('HTTP_STATUS', sentence(reason), {
      reason,
      endpoint: purpose,
      status: response.status,
      hint: 'Check the URL: it should point at the JSON document itself.',
    });
  }
}

/**
 * An answer that is not the one the protocol expects, said with its status and what its body was: servers answer a
 * wrong secret or a missing scope with a bare 403, and that status is all there is to go on.
 */
export function statusError(
  response: JsonResponse,
  purpose: string,
  code: ErrorCode = 'HTTP_STATUS',
  hint?: string,
): CliError {
  const reason = `the ${purpose} at ${redactUrl(response.url)} answered HTTP ${response.status}${describeBody(response)}`;
  return new CliError(code, sentence(reason), {
    reason,
    endpoint: purpose,
    status: response.status,
    details: { status: response.status },
    ...(hint ? { hint } : {}),
  });
}

/** A success whose body is not the JSON the protocol expects, said with its status and what the body was. */
export function notJsonError(response: JsonResponse, purpose: string): CliError {
  const reason = `the ${purpose} at ${redactUrl(response.url)} answered HTTP ${response.status}${describeBody(response)}, which is not a JSON object (content-type ${response.headers['content-type'] ?? 'none'})`;
  return new CliError('PROTOCOL_ERROR', sentence(reason), {
    reason,
    endpoint: purpose,
    status: response.status,
    details: { status: response.status },
  });
}

/** " with an empty body", " with an HTML page", or ": <the start of the body>". */
function describeBody(response: JsonResponse): string {
  // Not cut here (the output bounds a message after redacting it); only a body too large to be a message is.
  const text = response.body.subarray(0, BODY_IN_MESSAGE).toString('utf8').replace(/\s+/g, ' ').trim();
  if (!text) return ' with an empty body';
  if (/^</.test(text)) return ' with an HTML page';
  return `: ${redactText(text)}`;
}

const BODY_IN_MESSAGE = 64 * 1024;

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
