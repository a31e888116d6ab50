// The example protected resources of `oauth serve`, on the same origin as the authorization server: an orders API
// that validates its tokens as an API should (RFC 6750, RFC 9068, RFC 9449 binding), its RFC 9728 metadata, and with
// --lax-api a deliberately insecure twin that makes the classic mistakes, for `oauth curl` and `oauth check --api`.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { TLSSocket } from 'node:tls';
import type { JWK, JWTPayload } from 'jose';
import { DPOP_ALGS, dpopChecker, dpopNonces } from './dpop.js';
import { type LaxMistakes, NO_MISTAKES, tokenVerifier } from './resource-token.js';

export const API_PATH = '/api/orders';
export const LAX_API_PATH = '/lax-api/orders';
const LAX_API_ROOT = '/lax-api';
export const RESOURCE_METADATA_PATH = '/.well-known/oauth-protected-resource';
const READ_SCOPE = 'api:read';
const WRITE_SCOPE = 'api:write';
/** The scopes of the example APIs; the authorization server grants them for its audience and these APIs. */
export const API_SCOPES = [READ_SCOPE, WRITE_SCOPE];
const MAX_BODY_BYTES = 16 * 1024;
const MAX_ORDERS = 100;
const RETRY_AFTER_SECONDS = 10;

/** An API's resource identifier (RFC 9728 §1.2) is the URL a client calls: the issuer's origin and the API's path. */
export const apiResource = (issuer: string, path: string) => `${issuer}${path}`;
/** RFC 9728 §3.1: the well-known segment goes between the host and the resource's path. */
export const resourceMetadataUrl = (issuer: string, path: string) => `${issuer}${RESOURCE_METADATA_PATH}${path}`;

export interface ResourceServerOptions {
  issuer: string;
  /** The configured audience (`serve --audience`), which the APIs accept besides their own resource identifiers. */
  audience: string;
  /** The authorization server's signing keys: tokens are checked against them in-process, never fetched. */
  keys: JWK[];
  /** Serve the lax API at LAX_API_PATH with these mistakes. */
  laxApi?: LaxMistakes;
  /**
   * The mutual-TLS listener's origin (RFC 8705): the APIs answer there too, under their own URL on that origin, and a
   * certificate-bound token (cnf x5t#S256) is taken only over a connection that presented that certificate.
   */
  mtlsOrigin?: string;
  /** DPoP proofs must carry a nonce made from this secret, the authorization server's (`serve --dpop-nonce`). */
  dpopNonceSecret?: Uint8Array;
  now?: () => number;
  onExchange?: (exchange: { method: string; path: string; status: number; authorization?: string }) => void;
}

export interface ResourceServer {
  /** The resource identifiers the authorization server issues tokens for, besides the configured audience. */
  resources: string[];
  /** Answers the request when it is for an API or its metadata; false when it is the authorization server's. */
  handle(request: IncomingMessage, response: ServerResponse): boolean;
}

interface Api {
  /** What the API answers under (its 404s included): /api, /lax-api. */
  root: string;
  path: string;
  resource: string;
  metadataUrl: string;
  /** The same API on the mutual-TLS listener: its URL there and that URL's metadata. */
  mtls?: { resource: string; metadataUrl: string };
  name: string;
  mistakes: LaxMistakes;
  verify: ReturnType<typeof tokenVerifier>;
  checkProof: ReturnType<typeof dpopChecker>;
  nonces?: ReturnType<typeof dpopNonces>;
  orders: Order[];
  placed: number;
}

interface Order {
  id: string;
  item: string;
  quantity: number;
  status: string;
  placed_by?: string;
}

interface Failure {
  status: number;
  error?: string;
  description: string;
  scope?: string;
  dpop?: boolean;
  /** A fresh DPoP nonce for the DPoP-Nonce header. */
  nonce?: string;
}

export function resourceServer(options: ResourceServerOptions): ResourceServer {
  const now = options.now ?? Date.now;
  const make = (path: string, name: string, mistakes: LaxMistakes): Api => {
    const nonces = options.dpopNonceSecret ? dpopNonces(options.dpopNonceSecret) : undefined;
    return {
      root: path.slice(0, path.lastIndexOf('/')),
      path,
      name,
      mistakes,
      resource: apiResource(options.issuer, path),
      metadataUrl: resourceMetadataUrl(options.issuer, path),
      ...(options.mtlsOrigin
        ? {
            mtls: {
              resource: apiResource(options.mtlsOrigin, path),
              metadataUrl: resourceMetadataUrl(options.mtlsOrigin, path),
            },
          }
        : {}),
      verify: tokenVerifier({
        issuer: options.issuer,
        audiences: [
          options.audience,
          apiResource(options.issuer, path),
          ...(options.mtlsOrigin ? [apiResource(options.mtlsOrigin, path)] : []),
        ],
        keys: options.keys,
        mistakes,
        now,
      }),
      checkProof: dpopChecker(undefined, nonces),
      ...(nonces ? { nonces } : {}),
      orders: sampleOrders(),
      placed: 0,
    };
  };
  const apis = [make(API_PATH, 'Example orders API (validates its tokens correctly)', NO_MISTAKES)];
  if (options.laxApi)
    apis.push(
      make(
        LAX_API_PATH,
        'Lax orders API (deliberately insecure: makes the classic validation mistakes)',
        options.laxApi,
      ),
    );

  return {
    resources: apis.flatMap((api) => [api.resource, ...(api.mtls ? [api.mtls.resource] : [])]),
    handle(request, response) {
      const path = (request.url ?? '/').split('?')[0]!;
      const report = () =>
        options.onExchange?.({
          method: request.method ?? '',
          path,
          status: response.statusCode,
          ...(request.headers.authorization ? { authorization: request.headers.authorization } : {}),
        });
      if (path === RESOURCE_METADATA_PATH || path.startsWith(`${RESOURCE_METADATA_PATH}/`)) {
        request.resume();
        serveMetadata(request, response, options.issuer, apis, path.slice(RESOURCE_METADATA_PATH.length));
        report();
        return true;
      }
      const api = apis.find((candidate) => path.startsWith(`${candidate.root}/`));
      // Someone trying the lax API of the docs on a server started without it: say why it is not there.
      if (!api && !options.laxApi && (path === LAX_API_ROOT || path.startsWith(`${LAX_API_ROOT}/`))) {
        request.resume();
        send(response, 404, {
          error: 'not_found',
          error_description: `The lax API (${LAX_API_PATH}) is served only when oauth serve runs with --lax-api.`,
        });
        report();
        return true;
      }
      if (!api) return false;
      response.on('finish', report);
      serveApi(api, request, response, path, now).catch(() => {
        if (!response.headersSent) send(response, 500, { error: 'server_error' });
        else response.destroy();
      });
      return true;
    },
  };
}

function serveMetadata(
  request: IncomingMessage,
  response: ServerResponse,
  issuer: string,
  apis: Api[],
  resourcePath: string,
): void {
  const [status, body, headers] = metadata(
    request.method,
    issuer,
    apis,
    resourcePath,
    tlsSocket(request) !== undefined,
  );
  send(response, status, body, headers);
}

function metadata(
  method: string | undefined,
  issuer: string,
  apis: Api[],
  resourcePath: string,
  overMtls: boolean,
): [number, unknown, Record<string, string>?] {
  if (method !== 'GET') return [405, { error: 'method_not_allowed' }, { allow: 'GET' }];
  const api = apis.find((candidate) => candidate.path === resourcePath);
  // The origin on its own is the authorization server, not a protected resource: no metadata without a path.
  if (!api)
    return [
      404,
      {
        error: 'not_found',
        error_description: `Protected resource metadata is published for ${apis.map((each) => each.resource).join(' and ')}.`,
      },
    ];
  // RFC 9728 §3.3: the resource is the URL the metadata was asked for under, so each listener names its own; only the
  // mutual-TLS one can see a client certificate, so only its metadata says certificate-bound tokens work (§2).
  const mtls = overMtls ? api.mtls : undefined;
  return [
    200,
    {
      resource: mtls ? mtls.resource : api.resource,
      authorization_servers: [issuer],
      scopes_supported: API_SCOPES,
      bearer_methods_supported: api.mistakes.acceptQueryToken ? ['header', 'body', 'query'] : ['header'],
      resource_name: api.name,
      dpop_signing_alg_values_supported: DPOP_ALGS,
      dpop_bound_access_tokens_required: false,
      ...(mtls ? { tls_client_certificate_bound_access_tokens: true } : {}),
    },
  ];
}

async function serveApi(
  api: Api,
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  now: () => number,
): Promise<void> {
  if (path !== api.path) {
    request.resume();
    return send(response, 404, { error: 'not_found', error_description: `This API has ${api.resource} only.` });
  }
  const method = request.method ?? '';
  if (method !== 'GET' && method !== 'POST') {
    request.resume();
    return send(response, 405, { error: 'method_not_allowed' }, { allow: 'GET, POST' });
  }
  if (method !== 'POST') request.resume();
  const body = method === 'POST' ? await readBody(request) : '';
  if (body === undefined)
    return send(
      response,
      413,
      { error: 'invalid_request', error_description: `The body is over ${MAX_BODY_BYTES} bytes.` },
      { connection: 'close' },
    );
  // The request's URL without its query is the API's resource identifier, the htu a DPoP proof must name.
  const here = tlsSocket(request) && api.mtls ? api.mtls : api;
  const outcome = await authorize(api, request, body, method, here.resource, now);
  if ('status' in outcome) return refuse(response, here.metadataUrl, outcome);
  // RFC 9449 section 9: a nonce with each answer, so a client that keeps the latest never meets use_dpop_nonce again.
  const fresh: Record<string, string> = api.nonces && outcome.dpop ? { 'dpop-nonce': api.nonces.issue(now()) } : {};
  if (method === 'GET') return send(response, 200, { orders: api.orders }, fresh);
  const order = newOrder(body, request.headers['content-type'], outcome.claims);
  if (typeof order === 'string')
    return send(response, 400, { error: 'invalid_request', error_description: order }, fresh);
  api.placed += 1;
  order.id = `ord_${String(SAMPLE_ORDERS + api.placed).padStart(4, '0')}`;
  api.orders.push(order);
  if (api.orders.length > MAX_ORDERS) api.orders.shift();
  send(response, 201, order, fresh);
}

async function authorize(
  api: Api,
  request: IncomingMessage,
  body: string,
  method: string,
  url: string,
  now: () => number,
): Promise<Failure | { claims: JWTPayload; dpop: boolean }> {
  const { mistakes } = api;
  const header = request.headers.authorization;
  const [, scheme = '', credentials] = /^(\S+)(?:\s+(.*))?$/.exec(header ?? '') ?? [];
  const tokenScheme = /^(bearer|dpop)$/i.test(scheme) ? scheme.toLowerCase() : undefined;
  const query = new URLSearchParams((request.url ?? '').split('?')[1] ?? '').getAll('access_token');
  const form = /^application\/x-www-form-urlencoded\b/i.test(request.headers['content-type'] ?? '')
    ? new URLSearchParams(body).getAll('access_token')
    : [];
  // Node keeps only the first of repeated Authorization headers in request.headers: two are two credentials.
  const headers = request.headersDistinct.authorization?.length ?? 0;
  const methods = (tokenScheme ? 1 : 0) + query.length + form.length;
  if (methods > 1 || headers > 1)
    return {
      status: 400,
      error: 'invalid_request',
      description: 'The request carries more than one access token; RFC 6750 section 2 allows exactly one method.',
    };
  if ((query.length > 0 || form.length > 0) && !mistakes.acceptQueryToken)
    return {
      status: 400,
      error: 'invalid_request',
      description:
        'Send the access token in the Authorization header (RFC 6750 section 2.1), not in the query or the body.',
    };
  const token = tokenScheme ? credentials?.trim() : (query[0] ?? form[0]);
  if (!tokenScheme && token === undefined)
    return { status: 401, description: 'This API takes an access token: Authorization: Bearer <token>.' };
  if (token === undefined || !/^[\w\-.~+/]+=*$/.test(token))
    return { status: 400, error: 'invalid_request', description: 'The Authorization header is malformed.' };

  const checked = await api.verify(token);
  if (!checked.ok) return { status: 401, error: 'invalid_token', description: checked.description };
  const { cnf } = checked.claims;
  const jkt = isRecord(cnf) && typeof cnf.jkt === 'string' ? cnf.jkt : undefined;
  if (!mistakes.ignoreDpopBinding) {
    if (jkt && tokenScheme !== 'dpop')
      return {
        status: 401,
        error: 'invalid_token',
        dpop: true,
        description: 'The access token is DPoP-bound (cnf.jkt): send it as Authorization: DPoP with a DPoP proof.',
      };
    if (!jkt && tokenScheme === 'dpop')
      return { status: 401, error: 'invalid_token', dpop: true, description: 'The access token is not DPoP-bound.' };
    if (jkt) {
      const proof = request.headers.dpop;
      const failure = await api.checkProof({
        proof: typeof proof === 'string' ? proof : undefined,
        method,
        url,
        accessToken: token,
        jkt,
        now: now(),
      });
      if (failure?.busy) return { status: 503, error: 'temporarily_unavailable', description: failure.description };
      if (failure?.useNonce && api.nonces)
        return {
          status: 401,
          error: 'use_dpop_nonce',
          dpop: true,
          description: failure.description,
          nonce: api.nonces.issue(now()),
        };
      if (failure) return { status: 401, error: 'invalid_dpop_proof', dpop: true, description: failure.description };
    }
  }
  const certificateFailure = certificateBinding(checked.claims.cnf, request);
  if (certificateFailure) return { status: 401, error: 'invalid_token', description: certificateFailure };
  const needed = method === 'POST' ? WRITE_SCOPE : READ_SCOPE;
  const granted = typeof checked.claims.scope === 'string' ? checked.claims.scope.split(' ') : [];
  if (!mistakes.skipScope && !granted.includes(needed))
    return {
      status: 403,
      error: 'insufficient_scope',
      scope: needed,
      description: `${method} ${api.path} needs the scope ${needed}.`,
    };
  return { claims: checked.claims, dpop: jkt !== undefined && !mistakes.ignoreDpopBinding };
}

/** RFC 6750 §3 and RFC 9728 §5.1: every refusal says where the metadata is, and an error only when a token was sent. */
function refuse(response: ServerResponse, metadataUrl: string, failure: Failure): void {
  // Not the token's fault: no challenge, a hint when to come back (proof ids expire within the proof's lifetime).
  if (failure.status === 503) {
    send(
      response,
      503,
      { error: failure.error, error_description: failure.description },
      { 'retry-after': String(RETRY_AFTER_SECONDS) },
    );
    return;
  }
  const parameters: Array<[string, string]> = [['resource_metadata', metadataUrl]];
  if (failure.error) parameters.push(['error', failure.error], ['error_description', failure.description]);
  if (failure.scope) parameters.push(['scope', failure.scope]);
  if (failure.dpop) parameters.push(['algs', DPOP_ALGS.join(' ')]);
  const challenge = `${failure.dpop ? 'DPoP' : 'Bearer'} ${parameters.map(([name, value]) => `${name}="${quotable(value)}"`).join(', ')}`;
  send(
    response,
    failure.status,
    { error: failure.error ?? 'unauthorized', error_description: failure.description },
    { 'www-authenticate': challenge, ...(failure.nonce ? { 'dpop-nonce': failure.nonce } : {}) },
  );
}

/** The connection's TLS socket, when the request came over the mutual-TLS listener. */
function tlsSocket(request: IncomingMessage): TLSSocket | undefined {
  return request.socket instanceof TLSSocket ? request.socket : undefined;
}

/**
 * RFC 8705 §3: a certificate-bound token (cnf x5t#S256) is taken only from the client holding that certificate, which
 * proves it in the TLS handshake; anything else is 401 invalid_token. Why it failed is said, never the thumbprints.
 */
function certificateBinding(cnf: unknown, request: IncomingMessage): string | undefined {
  const bound = isRecord(cnf) ? cnf['x5t#S256'] : undefined;
  if (bound === undefined) return undefined;
  if (typeof bound !== 'string') return "The access token's cnf x5t#S256 is not a thumbprint.";
  const socket = tlsSocket(request);
  if (!socket)
    return 'The access token is certificate-bound (RFC 8705): send it over mutual TLS, to this API on the mTLS listener, with its client certificate.';
  const certificate = socket.getPeerCertificate();
  if (!certificate?.raw)
    return 'The access token is certificate-bound (RFC 8705): present the client certificate it is bound to.';
  const thumbprint = createHash('sha256').update(certificate.raw).digest('base64url');
  return thumbprint === bound
    ? undefined
    : 'The access token is bound to another client certificate than the one presented (RFC 8705 cnf x5t#S256).';
}

/** What RFC 6750 §3 allows inside a quoted error_description: printable ASCII without `"` and `\`. */
function quotable(value: string): string {
  return value.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, "'");
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  response.end(JSON.stringify(body));
}

/** The body as text, or undefined when it is over the cap (then the rest is not read). */
async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const bytes = Buffer.from(chunk);
    size += bytes.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(bytes);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function newOrder(body: string, contentType: string | undefined, claims: JWTPayload): Order | string {
  let input: Record<string, unknown> = {};
  if (/^application\/json\b/i.test(contentType ?? '') && body.trim() !== '') {
    try {
      const parsed: unknown = JSON.parse(body);
      if (!isRecord(parsed)) return 'The body must be a JSON object.';
      input = parsed;
    } catch {
      return 'The body is not JSON.';
    }
  }
  const item = input.item ?? 'coffee beans';
  const quantity = input.quantity ?? 1;
  if (typeof item !== 'string' || !/^[\x20-\x7e]{1,80}$/.test(item))
    return 'item must be 1 to 80 printable characters.';
  if (typeof quantity !== 'number' || !Number.isInteger(quantity) || quantity < 1 || quantity > 100)
    return 'quantity must be a whole number from 1 to 100.';
  return {
    id: '',
    item,
    quantity,
    status: 'placed',
    ...(typeof claims.sub === 'string' ? { placed_by: claims.sub } : {}),
  };
}

const SAMPLE_ORDERS = 2;

function sampleOrders(): Order[] {
  return [
    { id: 'ord_0001', item: 'coffee beans', quantity: 2, status: 'shipped' },
    { id: 'ord_0002', item: 'oat milk', quantity: 6, status: 'placed' },
  ];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
