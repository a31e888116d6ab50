// The only module that talks HTTP. Every request has a deadline, a size cap and no silent redirect; every exchange
// can be traced (redacted) for -v / -vv; every failure becomes a CliError that says what to do.
import { performance } from 'node:perf_hooks';
import { getCACertificates } from 'node:tls';
import { Agent, EnvHttpProxyAgent, request, type Dispatcher } from 'undici';
import { CliError, sentence } from '../errors.js';
import { redactHeaders, redactJson, redactText, redactUrl, SecretRegistry } from '../redact.js';
import { MAX_USER_FILE_BYTES, readUserFile } from '../settings/user-file.js';

/** DELETE: RFC 7592 client management; nothing else here deletes. */
export type HttpMethod = 'GET' | 'POST' | 'HEAD' | 'DELETE';

export interface HttpRequest {
  url: string | URL;
  /** An HTTP method token (RFC 9110 §9); GET when absent. */
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** What is being fetched, in words ("JWKS", "discovery document"), for messages and traces. */
  purpose: string;
  maxBytes?: number;
  /**
   * What a body over maxBytes does: 'fail' (the default) ends the request with HTTP_TOO_LARGE; 'truncate' stops
   * reading at the cap and answers with what came so far, marked truncated — for a caller that needs the status and
   * headers, not the document.
   */
  oversize?: 'fail' | 'truncate';
  /**
   * The body is the user's data (an API's answer for `oauth curl`), not a document a protocol step reads: it is passed
   * on unparsed, so JSON nested deeper than any OAuth document is not refused.
   */
  userData?: boolean;
  /**
   * Where the body goes as it arrives, instead of into `body` (then empty): asked once the status and headers are in;
   * undefined keeps this answer's body in memory. A sink has its own cap, since the body does not stay in memory.
   */
  sink?: (head: { status: number; headers: Record<string, string> }) => BodySink | undefined;
}

export interface BodySink {
  write(chunk: Buffer): void;
  maxBytes: number;
}

export interface HttpResponse {
  url: string;
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  elapsedMs: number;
  /** The bytes that went to the request's sink instead of `body`. */
  streamed?: number;
  /** The body was longer than the request's cap and was cut there (only with oversize: 'truncate'). */
  truncated?: boolean;
}

export interface HttpClient {
  request(request: HttpRequest): Promise<HttpResponse>;
  close(): Promise<void>;
}

export interface HttpOptions {
  timeoutMs: number;
  /** PEM file with extra certificate authorities (added to the defaults, which include NODE_EXTRA_CA_CERTS). */
  caFile?: string | undefined;
  /** Where caFile came from, for messages ("--ca-file", "OAUTH_CA_FILE", …). */
  caFileOrigin?: string;
  /** Allows http:// to hosts that are not loopback. */
  insecure: boolean;
  verbosity: number;
  /** Trace lines: a body is given as its lines, each marked as a body line (a server's text cannot start a line of ours). */
  trace: (lines: string | readonly string[]) => void;
  /** HTTPS_PROXY, HTTP_PROXY, NO_PROXY (either case) are read from here. */
  env: Readonly<Record<string, string | undefined>>;
  signal?: AbortSignal | undefined;
  /** The run's secret registry: what a request sends as a secret and what an answer carries as one is added to it. */
  secrets?: SecretRegistry;
  /** RFC 8705 mutual TLS: the client certificate every TLS connection of the run presents (checked by its loader). */
  clientCertificate?: { cert: string; key: string; passphrase?: string } | undefined;
}

export const DEFAULT_MAX_BYTES = 1024 * 1024;
const TRACE_BODY_LIMIT = 16 * 1024;

function envValue(env: HttpOptions['env'], name: string): string | undefined {
  return env[name] ?? env[name.toLowerCase()];
}

/**
 * A proxy variable as curl reads it: a bare host:port means http://host:port. Anything else that is not an http(s)
 * URL is the user's setting to fix (exit 2, naming the variable), not a crash inside the HTTP client.
 */
function proxySetting(env: HttpOptions['env'], name: string): string | undefined {
  const variable = env[name] !== undefined ? name : name.toLowerCase();
  const value = env[variable]?.trim();
  if (!value) return undefined;
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let url: URL | undefined;
  try {
    url = new URL(withScheme);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new CliError(
      'USAGE',
      `${variable} is not a proxy URL this tool can use: ${JSON.stringify(redactText(value))}.`,
      {
        hint: `Set ${variable} to http://host:port (or https://…), or unset it.`,
      },
    );
  }
  return url.href;
}

function createDispatcher(options: HttpOptions): Dispatcher {
  const ca = options.caFile
    ? [...defaultCertificates(), readCaFile(options.caFile, options.caFileOrigin ?? '--ca-file')]
    : undefined;
  const client = options.clientCertificate;
  const identity = client
    ? {
        cert: client.cert,
        key: client.key,
        ...(client.passphrase !== undefined ? { passphrase: client.passphrase } : {}),
      }
    : undefined;
  const tls = ca || identity ? { ...(ca ? { ca } : {}), ...identity } : undefined;
  const agentOptions = {
    connect: { timeout: options.timeoutMs, ...tls },
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  };
  const httpsProxy = proxySetting(options.env, 'HTTPS_PROXY');
  const httpProxy = proxySetting(options.env, 'HTTP_PROXY');
  if (httpsProxy || httpProxy) {
    return new EnvHttpProxyAgent({
      ...agentOptions,
      ...(httpProxy ? { httpProxy } : {}),
      ...(httpsProxy ? { httpsProxy } : {}),
      noProxy: envValue(options.env, 'NO_PROXY') ?? '',
      ...(tls ? { requestTls: tls } : {}),
      ...(ca ? { proxyTls: { ca } } : {}),
    });
  }
  return new Agent(agentOptions);
}

function defaultCertificates(): string[] {
  return getCACertificates('default');
}

function readCaFile(path: string, origin: string): string {
  // A bundle of every public CA is about 250 KiB; the cap leaves room for several.
  const pem = readUserFile(path, origin, 4 * MAX_USER_FILE_BYTES).toString('utf8');
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new CliError('FILE_UNREADABLE', `Cannot use ${origin} ${path}: no PEM certificate in it.`, {
      hint: 'Give a PEM file with one or more "BEGIN CERTIFICATE" blocks.',
    });
  }
  return pem;
}

export function createHttpClient(options: HttpOptions): HttpClient {
  let dispatcher: Dispatcher | undefined;
  const secrets = options.secrets ?? new SecretRegistry();
  const known = () => secrets;

  async function send(req: HttpRequest): Promise<HttpResponse> {
    const url = typeof req.url === 'string' ? new URL(req.url) : req.url;
    const method = req.method ?? 'GET';
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(method))
      throw new CliError(
        'USAGE',
        `${JSON.stringify(method)} is not an HTTP method (RFC 9110 §9: a token, such as PUT).`,
      );
    const maxBytes = req.maxBytes ?? DEFAULT_MAX_BYTES;
    const headers = { 'user-agent': 'oauth-cli', ...req.headers };
    dispatcher ??= createDispatcher(options);
    secrets.addFromRequest(
      headers,
      typeof req.body === 'string' ? req.body : undefined,
      Object.entries(headers).find(([name]) => name.toLowerCase() === 'content-type')?.[1],
    );
    traceRequest(method, url, headers, req.body);

    const deadline = AbortSignal.timeout(options.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
    const started = performance.now();
    // Once the status has arrived, a connection that drops is an answer cut short, not a server out of reach.
    let answered: { status: number; bytes: number; declared: number } | undefined;
    try {
      const response = await request(url, {
        method,
        headers,
        body: req.body ?? null,
        dispatcher,
        signal,
      });
      const responseHeaders = flattenHeaders(response.headers);
      const sink = req.sink?.({ status: response.statusCode, headers: responseHeaders });
      const cap = sink?.maxBytes ?? maxBytes;
      const truncate = req.oversize === 'truncate';
      const declared = Number(responseHeaders['content-length']);
      answered = { status: response.statusCode, bytes: 0, declared };
      const chunks: Buffer[] = [];
      let size = 0;
      let truncated = false;
      if (Number.isFinite(declared) && declared > cap) {
        response.body.destroy();
        if (!truncate) throw tooLarge(req, url, cap);
        truncated = true;
      } else {
        for await (const chunk of response.body) {
          let piece = chunk as Buffer;
          if (size + piece.length > cap) {
            response.body.destroy();
            if (!truncate) throw tooLarge(req, url, cap);
            piece = piece.subarray(0, cap - size);
            truncated = true;
          }
          size += piece.length;
          answered.bytes = size;
          if (sink) writeToSink(sink, piece, req);
          else chunks.push(piece);
          if (truncated) break;
        }
      }
      const result: HttpResponse = {
        url: url.href,
        status: response.statusCode,
        headers: responseHeaders,
        body: Buffer.concat(chunks),
        elapsedMs: performance.now() - started,
        ...(sink ? { streamed: size } : {}),
        ...(truncated ? { truncated } : {}),
      };
      if (!req.userData) refuseUnsafeJson(result, req.purpose);
      registerAnswerSecrets(secrets, result);
      traceResponse(result);
      return result;
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw translateError(error, req, url, options, deadline, answered);
    }
  }

  function traceRequest(method: string, url: URL, headers: Record<string, string>, body?: string | Buffer): void {
    if (options.verbosity < 1) return;
    options.trace(`> ${method} ${redactText(redactUrl(url.href), known())}`);
    for (const [name, value] of Object.entries(redactHeaders(headers)))
      options.trace(`> ${name}: ${redactText(value, known())}`);
    if (options.verbosity >= 2 && body)
      options.trace(bodyLines('>', redactBody(body.toString(), headers['content-type'], known())));
  }

  function traceResponse(response: HttpResponse): void {
    if (options.verbosity < 1) return;
    const size = response.streamed ?? response.body.length;
    const how = response.truncated ? ', truncated' : response.streamed !== undefined ? ', passed on as it came' : '';
    options.trace(`< ${response.status} (${Math.round(response.elapsedMs)} ms, ${size} bytes${how})`);
    // Redacted whole, then cut: a server can echo a secret in pieces the redactor cannot see, never all of it.
    for (const [name, value] of Object.entries(redactHeaders(response.headers)))
      options.trace(`< ${name}: ${boundedHeader(redactText(value, known()))}`);
    if (options.verbosity >= 2 && response.body.length > 0) {
      // Redacted whole, then cut: a cut first could leave a secret's head, which no longer matches the secret.
      const body = redactBody(response.body.toString('utf8'), response.headers['content-type'], known());
      options.trace(bodyLines('<', body.slice(0, TRACE_BODY_LIMIT)));
      if (body.length > TRACE_BODY_LIMIT) options.trace(`< … ${body.length - TRACE_BODY_LIMIT} more characters`);
    }
  }

  return {
    request: send,
    async close() {
      const current = dispatcher;
      dispatcher = undefined;
      await current?.destroy();
    },
  };
}

/** Deeper than any OAuth or OpenID document is; deep enough that walking it (redaction, printing) could not fail. */
const MAX_JSON_DEPTH = 64;

/**
 * A JSON answer is refused when it arrives (exit 5) if it is nested deeper than MAX_JSON_DEPTH — every later step (the
 * protocol library, redaction, printing) walks JSON recursively, and a hostile server could otherwise end the run with
 * a stack overflow — or if one object names a member twice: RFC 8259 §4 leaves which one counts to the reader, so
 * `{"issuer": A, "issuer": B}` is A to one client and B to another (a mix-up waiting to happen). Read on the bytes,
 * before anything parses them; a member name is decoded (escapes and all) only to compare it.
 */
function refuseUnsafeJson(response: HttpResponse, purpose: string): void {
  const body = response.body;
  // Only what reads as JSON: an HTML page full of script brackets is said by its status elsewhere.
  if (!/^\s*[[{]/.test(body.subarray(0, 64).toString('utf8'))) return;
  const refuse = (what: string) =>
    new CliError('PROTOCOL_ERROR', `The ${purpose} at ${redactUrl(response.url)} answered JSON ${what}.`);
  /** Per open container: the member names seen so far in an object, null for an array. */
  const open: Array<Set<string> | null> = [];
  let stringStart = -1;
  for (let index = 0; index < body.length; index++) {
    const byte = body[index]!;
    if (stringStart >= 0) {
      if (byte === 0x5c) index++;
      else if (byte === 0x22) {
        const names = open.at(-1);
        if (names && nextSignificantByte(body, index + 1) === 0x3a) {
          const name = memberName(body.subarray(stringStart, index + 1));
          if (names.has(name))
            throw refuse(
              `whose object names the member ${JSON.stringify(name.slice(0, 64))} twice, which readers take differently`,
            );
          names.add(name);
        }
        stringStart = -1;
      }
    } else if (byte === 0x22) stringStart = index;
    else if (byte === 0x7b || byte === 0x5b) {
      open.push(byte === 0x7b ? new Set() : null);
      if (open.length > MAX_JSON_DEPTH)
        throw refuse(`nested deeper than ${MAX_JSON_DEPTH} levels, which no OAuth document is`);
    } else if (byte === 0x7d || byte === 0x5d) open.pop();
  }
}

function nextSignificantByte(body: Buffer, from: number): number | undefined {
  for (let index = from; index < body.length; index++) {
    const byte = body[index]!;
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) return byte;
  }
  return undefined;
}

/** A member name as JSON reads it ("iss\u0075er" is issuer); undecodable bytes stay as they are, to compare. */
function memberName(literal: Buffer): string {
  const text = literal.toString('utf8');
  try {
    return JSON.parse(text) as string;
  } catch {
    return text;
  }
}

/** As long as a header value in a trace may be; a longer one is cut, saying how much was left out. */
const TRACE_HEADER_LIMIT = 300;

function boundedHeader(value: string): string {
  return value.length <= TRACE_HEADER_LIMIT
    ? value
    : `${value.slice(0, TRACE_HEADER_LIMIT)}… (${value.length - TRACE_HEADER_LIMIT} more characters)`;
}

function bodyLines(direction: '<' | '>', body: string): string[] {
  return body.split(/\r?\n/).map((line) => `${direction} ${line}`);
}

function registerAnswerSecrets(secrets: SecretRegistry, response: HttpResponse): void {
  // Whatever the content-type says: a server that lies about it still sent these tokens.
  if (response.body[0] !== 0x7b && !/^\s*\{/.test(response.body.subarray(0, 64).toString('utf8'))) return;
  try {
    secrets.addFromJson(JSON.parse(response.body.toString('utf8')));
  } catch {
    // Not JSON: nothing a protocol step will read as a token.
  }
}

function redactBody(body: string, contentType: string | undefined, known: Iterable<string>): string {
  if (contentType?.includes('json')) {
    try {
      return JSON.stringify(redactJson(JSON.parse(body), known));
    } catch {
      // Not JSON after all: fall through to the text rules.
    }
  }
  return redactText(body, known);
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) result[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return result;
}

/**
 * The sink is local (stdout, a file): its failure (a full disk) is the caller's to say, never "cannot reach" the
 * server. A sink that knows where it writes throws its own CliError; anything else is said here.
 */
function writeToSink(sink: BodySink, piece: Buffer, req: HttpRequest): void {
  try {
    sink.write(piece);
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      'OUTPUT_FAILED',
      `Cannot write the ${req.purpose}'s answer where it goes: ${code ?? (error as Error).message}.`,
    );
  }
}

function tooLarge(req: HttpRequest, url: URL, maxBytes: number): CliError {
  return new CliError(
    'HTTP_TOO_LARGE',
    `The ${req.purpose} at ${redactUrl(url.href)} is larger than ${maxBytes} bytes; stopped reading.`,
    {
      hint: 'Check that the URL points at the right document.',
    },
  );
}

/** OpenSSL's codes for a handshake refused over the certificate a client presented (an alert from the server, or ours). */
const CLIENT_CERTIFICATE_TLS_CODE =
  /^ERR_SSL_(?:\w*ALERT_(?:BAD_CERTIFICATE|CERTIFICATE_\w+|UNKNOWN_CA|UNSUPPORTED_CERTIFICATE|ACCESS_DENIED|HANDSHAKE_FAILURE)|EE_KEY_TOO_SMALL|CA_KEY_TOO_SMALL|CA_MD_TOO_WEAK)$/;

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_UNTRUSTED',
]);

/** The messages of an error and its causes, innermost last. */
function messages(error: unknown): string {
  const parts: string[] = [];
  for (
    let current: unknown = error, depth = 0;
    depth < 5 && current instanceof Error;
    depth++, current = current.cause
  ) {
    if (current.message) parts.push(current.message);
  }
  return parts.join(': ');
}

function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_ABORTED') return code;
    current = current.cause;
  }
  return undefined;
}

function translateError(
  error: unknown,
  req: HttpRequest,
  url: URL,
  options: HttpOptions,
  deadline: AbortSignal,
  answered?: { status: number; bytes: number; declared: number },
): CliError {
  const where = `the ${req.purpose} at ${redactUrl(url.href)}`;
  if (options.signal?.aborted) return new CliError('CANCELLED', 'Cancelled.');
  const code = errorCode(error);
  const waited = options.timeoutMs < 1000 ? `${options.timeoutMs} ms` : `${Math.round(options.timeoutMs / 100) / 10}s`;
  if (deadline.aborted || (code?.startsWith('UND_ERR_') && code.endsWith('TIMEOUT'))) {
    const reason = `timed out after ${waited} waiting for ${where}`;
    return new CliError('HTTP_TIMEOUT', sentence(reason), {
      reason,
      endpoint: req.purpose,
      hint: 'Check that the server is up and reachable; raise --timeout (seconds; also OAUTH_TIMEOUT or the profile’s timeout) if it is just slow.',
      details: { url: redactUrl(url.href) },
    });
  }
  if (code && TLS_CODES.has(code)) {
    const reason = `TLS certificate of ${where} is not trusted (${code})`;
    return new CliError('HTTP_TLS', sentence(reason), {
      reason,
      endpoint: req.purpose,
      hint: 'If it is signed by a private CA, pass --ca-file <pem> (or set NODE_EXTRA_CA_CERTS).',
    });
  }
  if (code && options.clientCertificate && CLIENT_CERTIFICATE_TLS_CODE.test(code)) {
    const reason = `the TLS handshake with ${where} failed over the client certificate (${code})`;
    return new CliError('HTTP_TLS', sentence(reason), {
      reason,
      endpoint: req.purpose,
      hint: 'Check --cert and --key: the server must trust the certificate’s CA and accept its key (RSA of 2048 bits or more, or EC).',
    });
  }
  // undici's parser rejects a malformed answer with an assertion (status 099, an unasked-for 101) or an
  // HTTPParserError: the server did answer, so it is the server's answer that is wrong, not the network.
  if (code === 'ERR_ASSERTION' || (error instanceof Error && error.name === 'HTTPParserError')) {
    const detail = code === 'ERR_ASSERTION' ? 'a bad status line' : messages(error).replace(/^.*\(([^)]*)\)\s*$/, '$1');
    const reason = `${where} answered with something that is not valid HTTP (${detail})`;
    return new CliError('PROTOCOL_ERROR', sentence(reason), {
      reason,
      endpoint: req.purpose,
      hint: 'The server is broken or is not an HTTP server; check the URL and the port.',
      details: { url: redactUrl(url.href), reason: 'INVALID_HTTP' },
    });
  }
  if (answered) {
    const of = Number.isFinite(answered.declared) ? ` of the ${answered.declared} it announced` : '';
    const reason = `the ${req.purpose}'s answer (HTTP ${answered.status} from ${redactUrl(url.href)}) was cut short after ${answered.bytes} bytes${of}: ${networkWhy(error, code)}`;
    return new CliError('HTTP_NETWORK', sentence(reason), {
      reason,
      endpoint: req.purpose,
      hint: 'The server or something between closed the connection mid-answer; try again.',
      details: { url: redactUrl(url.href), reason: 'CUT_SHORT', status: answered.status, bytes: answered.bytes },
    });
  }
  const proxyStatus = /Proxy response \((\d{3})\)/.exec(messages(error))?.[1];
  if (proxyStatus) {
    const reason = `cannot reach ${where}: the proxy answered HTTP ${proxyStatus}`;
    return new CliError('HTTP_NETWORK', sentence(reason), {
      reason,
      endpoint: req.purpose,
      hint:
        proxyStatus === '407'
          ? 'The proxy wants credentials: put them in HTTPS_PROXY / HTTP_PROXY (http://user:password@host:port).'
          : 'Check HTTPS_PROXY, HTTP_PROXY and NO_PROXY.',
      details: { url: redactUrl(url.href), reason: 'PROXY_STATUS', status: Number(proxyStatus) },
    });
  }
  const reason = `cannot reach ${where}: ${networkWhy(error, code)}`;
  // In TLS 1.3 a server refuses a client certificate after the handshake, by closing: no alert reaches the client.
  const certificateRefused =
    options.clientCertificate && url.protocol === 'https:' && (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET');
  return new CliError('HTTP_NETWORK', sentence(reason), {
    reason,
    endpoint: req.purpose,
    hint: certificateRefused
      ? 'The server may have refused the client certificate: check --cert and --key (the server must trust its CA); else check the URL and your network.'
      : 'Check the URL, your network and any HTTPS_PROXY setting.',
    details: { url: redactUrl(url.href), reason: code ?? 'unknown' },
  });
}

function networkWhy(error: unknown, code: string | undefined): string {
  return code === 'ECONNREFUSED'
    ? 'connection refused'
    : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
      ? 'host name not found'
      : code === 'ECONNRESET' || code === 'UND_ERR_SOCKET'
        ? 'connection closed by the server'
        : // A code alone (UND_ERR_INVALID_ARG) says nothing to a user: the innermost message says what happened.
          `${messages(error) || code || String(error)}${code && !messages(error).includes(code) ? ` (${code})` : ''}`;
}
