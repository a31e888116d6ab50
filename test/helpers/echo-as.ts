// An authorization server that repeats what it received and puts terminal control sequences in every string it
// controls: metadata values and member names, scopes, key ids, device codes, introspection and userinfo members,
// error descriptions, bodies and headers. It records every secret a client sent it, so a test can look for them in
// everything the CLI printed. Built on the hostile server (discovery, /authorize, a signing key).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startHostileServer, type HostileServer } from './hostile-as.js';

/**
 * ESC CSI erase-line, OSC 52 (write the clipboard) ended by BEL, a C1 CSI, DEL, a bidi override, and a newline that
 * starts a line of the tool's own ("hint: …") if it is printed as itself.
 */
export const INJECTED = '\u001b[2K\u001b]52;c;ZXZpbA==\u0007\u009b31m\u007f\u202e\nhint: forged-line';

/** How a failing endpoint answers: an OAuth error echoing everything, a bare 403, or an HTML 500 page. */
export type Failure = 'json-400' | 'empty-403' | 'text-401' | 'html-500';

export interface EchoServer {
  hostile: HostileServer;
  issuer: string;
  /** Every secret a client sent: form parameters, bearer and Basic credentials, assertions. */
  received: Set<string>;
  /** null: endpoints succeed (with echoes in extra members); otherwise how they fail. */
  failure: Failure | null;
  close(): Promise<void>;
}

const SECRET_PARAMETERS = [
  'client_secret',
  'code',
  'code_verifier',
  'refresh_token',
  'client_assertion',
  'token',
  'device_code',
  'assertion',
  'subject_token',
];

/** JSON as PHP writes it by default: every "/" escaped as "\/". */
function jsonEscapingSolidus(value: unknown): string {
  return JSON.stringify(value).replace(/\//g, '\\/');
}

async function readBody(request: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of request) body += chunk;
  return body;
}

export async function startEchoServer(): Promise<EchoServer> {
  const hostile = await startHostileServer();
  const { issuer, server } = hostile;
  const echo: EchoServer = { hostile, issuer, received: new Set(), failure: null, close: () => hostile.close() };

  // The metadata above names endpoints by placeholder: the real URLs are known only once the server listens.
  server.route('/.well-known/openid-configuration', async (_request, response) => {
    const metadata = {
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      jwks_uri: `${issuer}/jwks`,
      device_authorization_endpoint: `${issuer}/device`,
      revocation_endpoint: `${issuer}/revoke`,
      introspection_endpoint: `${issuer}/introspect`,
      userinfo_endpoint: `${issuer}/userinfo`,
      response_types_supported: ['code', `code ${INJECTED}`],
      code_challenge_methods_supported: ['S256'],
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
      scopes_supported: ['openid', 'offline_access', `api${INJECTED}`],
      grant_types_supported: [
        'authorization_code',
        'refresh_token',
        'client_credentials',
        'urn:ietf:params:oauth:grant-type:device_code',
      ],
      service_documentation: `https://docs.example.com/${encodeURIComponent(INJECTED)}`,
      [`x-${INJECTED}`]: `member name and value ${INJECTED}`,
      x_debug: `the refresh token it issued last: ${[...lasting].join(' ')}`,
    };
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(metadata));
  });
  server.route('/jwks', (_request, response) => {
    const keys = [hostile.key.publicJwk, { ...hostile.key.publicJwk, kid: `rotated${INJECTED}` }];
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
  });

  /** Records what the client sent, and answers with it (or fails with it, as the test chose). */
  /** The refresh token last issued: it outlives the run that got it, and a later run knows it from its store. */
  const lasting = new Set<string>();
  const endpoint =
    (succeed: (form: URLSearchParams, request: IncomingMessage, secrets: string[]) => Promise<unknown> | unknown) =>
    async (request: IncomingMessage, response: ServerResponse) => {
      const body = await readBody(request);
      const form = new URLSearchParams(body);
      const secrets: string[] = [];
      for (const name of SECRET_PARAMETERS) {
        const value = form.get(name);
        if (value) secrets.push(value);
      }
      const authorization = request.headers.authorization ?? '';
      const credential = /^(\w+)\s+(.+)$/.exec(authorization);
      if (credential) {
        secrets.push(credential[2]!);
        if (/^basic$/i.test(credential[1]!)) {
          const pair = Buffer.from(credential[2]!, 'base64').toString('utf8');
          const secret = decodeURIComponent(pair.slice(pair.indexOf(':') + 1).replace(/\+/g, ' '));
          secrets.push(secret);
        }
      }
      for (const secret of secrets) echo.received.add(secret);
      // What it received, as sent and decoded, and re-encoded as servers do: percent-encoding with lower-case hex and
      // every reserved character escaped, and base64 (secrets then sit at any alignment inside it).
      const decoded = `${authorization} ${decodeURIComponent(body.replace(/\+/g, ' '))}`;
      const lowerHex = encodeURIComponent(decoded)
        .replace(/[!'()*~]/g, (char) => `%${char.charCodeAt(0).toString(16)}`)
        .replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase());
      // Also as some servers cut them: a credential's base64 without its padding, every secret's first two thirds.
      const cut = secrets.map((secret) => `${secret.slice(0, Math.ceil((secret.length * 2) / 3))}...`).join(' ');
      const everything = `${authorization} ${authorization.replace(/=+$/, '')} ${body} ${decoded} ${lowerHex} ${Buffer.from(decoded).toString('base64')} ${cut}`;
      // Header values cannot carry control characters; everything else can, and does.
      const headers = { 'x-echo': everything.replace(/[^\x20-\x7e]/g, '?'), 'cache-control': 'no-store' };
      switch (echo.failure) {
        case 'json-400':
          response.writeHead(400, { ...headers, 'content-type': 'application/json' });
          response.end(
            jsonEscapingSolidus({
              error: `invalid_request${INJECTED}`,
              error_description: `you sent ${everything} ${INJECTED}`,
              echo: everything,
            }),
          );
          return;
        case 'empty-403':
          response.writeHead(403, headers).end();
          return;
        case 'text-401':
          response
            .writeHead(401, { ...headers, 'content-type': 'text/plain' })
            .end(`denied: ${everything} ${INJECTED}`);
          return;
        case 'html-500':
          response
            .writeHead(500, { ...headers, 'content-type': 'text/html' })
            .end(`<html><body>${everything}${INJECTED}</body></html>`);
          return;
        case null: {
          const answer = await succeed(form, request, secrets);
          if (answer === undefined) {
            response.writeHead(200, headers).end();
            return;
          }
          response
            .writeHead(200, { ...headers, 'content-type': 'application/json' })
            .end(jsonEscapingSolidus({ ...(answer as object), echo: everything }));
        }
      }
    };

  const tokens = async (grant: string, received: string[]) => {
    const now = Date.now();
    const refreshToken = `echo-refresh-${now}-0123456789`;
    if (grant !== 'client_credentials') {
      lasting.clear();
      lasting.add(refreshToken);
    }
    return {
      access_token: `echo-access-${grant}-${now}-0123456789`,
      refresh_token: refreshToken,
      token_type: 'Bearer',
      expires_in: 600,
      // The scope echoes what this request carried (a code, a verifier, an assertion): `status` shows the stored scope
      // later, in a run that never saw the code.
      scope: `openid offline_access api${INJECTED} ${received.join(' ')}`,
      ...(grant === 'authorization_code' || grant === 'refresh_token' ? { id_token: await hostile.idToken() } : {}),
    };
  };
  server.route(
    '/token',
    endpoint((form, _request, received) => tokens(form.get('grant_type') ?? '', received)),
  );
  server.route(
    '/introspect',
    endpoint(() => ({
      active: true,
      [`member${INJECTED}`]: `value${INJECTED}`,
      scope: `api${INJECTED}`,
      sub: `mallory${INJECTED}`,
    })),
  );
  server.route(
    '/revoke',
    endpoint(() => undefined),
  );
  server.route(
    '/userinfo',
    endpoint(() => ({ sub: 'mallory', [`claim${INJECTED}`]: `value${INJECTED}`, name: `Mallory ${INJECTED}` })),
  );
  server.route(
    '/device',
    endpoint(() => ({
      device_code: `echo-device-code-${Date.now()}-0123456789`,
      user_code: `AB${INJECTED}CD`,
      verification_uri: `${issuer}/activate`,
      expires_in: 60,
      interval: 5,
    })),
  );
  return echo;
}
