// The misbehaving authorization server (hostile-as.ts) taught the authorization request's modern shapes, for what no
// real server will do: a PAR endpoint (RFC 9126) whose answer each test may replace, an /authorize that reads a pushed
// request or a request object (RFC 9101), and a JARM response (query or form_post) signed with whatever key a test says.
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as jose from 'jose';
import { startHostileServer, type HostileServer } from './hostile-as.js';
import type { Route } from './server.js';

export interface AuthzServer extends HostileServer {
  /** Each pushed request's parameters, in order (a request object's claims decoded, its header under `header`). */
  pushed: Array<Record<string, string>>;
  /** What /authorize was given, as sent by the browser (query parameter names and values). */
  authorizeQueries: URLSearchParams[];
  /** The request objects seen, decoded (header and claims), unverified: the tests check what the client signed. */
  requestObjects: Array<{ header: jose.ProtectedHeaderParameters; claims: jose.JWTPayload }>;
  /** Replaces the PAR endpoint's answer; without a route, the well-behaved one again. */
  par(route?: Route): void;
  /** What signs JARM responses, and which claims it overrides. */
  jarm: { signWith?: CryptoKey; kid?: string; claims?: Record<string, unknown> };
}

async function form(request: IncomingMessage): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of request) body += chunk;
  return new URLSearchParams(body);
}

export async function startAuthzServer(metadataExtras: Record<string, unknown> = {}): Promise<AuthzServer> {
  const hostile = await startHostileServer();
  const { issuer, server } = hostile;
  const authz = hostile as AuthzServer;
  authz.pushed = [];
  authz.authorizeQueries = [];
  authz.requestObjects = [];
  authz.jarm = {};
  const requests = new Map<string, Record<string, string>>();
  // Discovery again, with the PAR endpoint and JARM modes (the issuer is known only now).
  const metadata = {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    jwks_uri: `${issuer}/jwks`,
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_modes_supported: ['query', 'jwt', 'query.jwt', 'form_post.jwt'],
    pushed_authorization_request_endpoint: `${issuer}/par`,
    ...metadataExtras,
  };
  server.route('/.well-known/openid-configuration', (_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(metadata));
  });

  const unpack = (params: URLSearchParams): Record<string, string> => {
    const request = params.get('request');
    if (!request) return Object.fromEntries(params);
    const header = jose.decodeProtectedHeader(request);
    const claims = jose.decodeJwt(request);
    authz.requestObjects.push({ header, claims });
    return Object.fromEntries(Object.entries(claims).map(([name, value]) => [name, String(value)]));
  };

  const defaultPar: Route = async (request, response) => {
    const params = unpack(await form(request));
    authz.pushed.push(params);
    const uri = `urn:ietf:params:oauth:request_uri:${authz.pushed.length}`;
    requests.set(uri, params);
    response
      .writeHead(201, { 'content-type': 'application/json' })
      .end(JSON.stringify({ request_uri: uri, expires_in: 60 }));
  };
  server.route('/par', defaultPar);
  authz.par = (route = defaultPar) => server.route('/par', route);

  server.route('/authorize', async (request: IncomingMessage, response: ServerResponse) => {
    const query = new URL(request.url!, issuer).searchParams;
    authz.authorizeQueries.push(query);
    const uri = query.get('request_uri');
    const params = uri ? requests.get(uri) : unpack(query);
    if (!params) {
      response.writeHead(400, { 'content-type': 'text/plain' }).end('unknown request_uri');
      return;
    }
    hostile.last = {
      nonce: params.nonce,
      state: params.state,
      redirectUri: params.redirect_uri,
      clientId: params.client_id,
    };
    const target = new URL(params.redirect_uri!);
    const answer: Record<string, string> = { code: 'hostile-code-0123456789', state: params.state!, iss: issuer };
    const mode = params.response_mode;
    if (mode === undefined) {
      for (const [name, value] of Object.entries(answer)) target.searchParams.set(name, value);
      response.writeHead(302, { location: target.href }).end();
      return;
    }
    const now = Math.floor(Date.now() / 1000);
    const jwt = await new jose.SignJWT({
      ...answer,
      aud: params.client_id,
      exp: now + 120,
      iat: now,
      ...authz.jarm.claims,
    } as jose.JWTPayload)
      .setProtectedHeader({ alg: 'RS256', kid: authz.jarm.kid ?? 'hostile-1' })
      .sign(authz.jarm.signWith ?? hostile.key.privateKey);
    if (mode === 'form_post.jwt') {
      response
        .writeHead(200, { 'content-type': 'text/html' })
        .end(
          `<html><body onload="document.forms[0].submit()"><form method="post" action="${target.href}"><input type="hidden" name="response" value="${jwt}"></form></body></html>`,
        );
      return;
    }
    target.searchParams.set('response', jwt);
    response.writeHead(302, { location: target.href }).end();
  });
  return authz;
}
