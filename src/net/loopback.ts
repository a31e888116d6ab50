// The loopback redirect server for `oauth login` (RFC 8252 §7.3). Written by hand on node:http because its job is to
// refuse: other paths, other methods, foreign Host headers (DNS rebinding), duplicated parameters and wrong state are
// answered and ignored, and only one good callback ends the wait. That callback's page is held open until the login
// knows how the sign-in ended (as kubelogin does): the browser says "signed in" only when the tokens are there; every
// callback after it is 410 Gone, so a replayed or second callback never looks like a sign-in.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { MAX_TIMER_MS } from '../settings/duration.js';
import { CliError } from '../errors.js';
import { printable } from '../term/printable.js';

export interface CallbackServerOptions {
  /** The redirect URI's host as written: 127.0.0.1, [::1] or localhost. */
  host: '127.0.0.1' | '[::1]' | 'localhost';
  port: number;
  path: string;
  expectedState: string;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Called for each refused request, for -v traces. */
  onRefused?: (reason: string) => void;
  /** How long one request may take to arrive (slow-loris guard); default 10 s. */
  requestTimeoutMs?: number;
  /**
   * JARM: the callback's one parameter is `response`, a JWT whose state only its verifier can read; such a callback is
   * held for that check (a plain one, an error the server could not wrap, still needs the state).
   */
  jwtResponse?: boolean;
  /** response_mode form_post(.jwt): the callback is a form POST to the callback path (bounded), not a GET. */
  formPost?: boolean;
}

/** A form_post callback carries a code, a state or one JWT: far less than this. */
const MAX_FORM_BYTES = 64 * 1024;

export interface CallbackServer {
  redirectUri: string;
  /** Resolves with the callback's parameters once a request with the right state arrives. */
  callback: Promise<URLSearchParams>;
  /** Answers the browser that brought the callback: what became of the sign-in. Only the first answer counts. */
  respond(outcome: SignInOutcome): void;
  /** Answers the browser, if nothing did yet, that the sign-in did not complete; then stops. */
  close(): Promise<void>;
}

export type SignInOutcome = { ok: true } | { ok: false; message: string };

const CALLBACK_PARAMETERS = ['code', 'state', 'iss', 'error', 'error_description', 'error_uri', 'response'];

export async function startCallbackServer(options: CallbackServerOptions): Promise<CallbackServer> {
  const bindAddress = options.host === '[::1]' ? '::1' : '127.0.0.1';
  const sockets = new Set<Socket>();
  let settle: { resolve: (value: URLSearchParams) => void; reject: (error: unknown) => void } | undefined;
  const callback = new Promise<URLSearchParams>((resolve, reject) => (settle = { resolve, reject }));
  callback.catch(() => undefined);
  let port = options.port;
  /** The browser's request that brought the callback, waiting for the outcome; undefined before and once answered. */
  let held: ServerResponse | undefined;
  let received = false;

  const requestTimeout = options.requestTimeoutMs ?? 10_000;
  // Node checks these timeouts only every connectionsCheckingInterval (30 s by default): check often enough to matter.
  const server = createServer(
    {
      maxHeaderSize: 8192,
      requestTimeout,
      headersTimeout: requestTimeout,
      connectionsCheckingInterval: Math.min(1000, requestTimeout),
      keepAliveTimeout: 1000,
    },
    (request, response) => {
      const refusal = refuse(request, port);
      if (refusal) {
        options.onRefused?.(refusal.reason);
        page(response, refusal.status, refusal.title, refusal.reason);
        return;
      }
      if (received) {
        options.onRefused?.('callback after the sign-in had already arrived');
        page(
          response,
          410,
          'Already used',
          'This sign-in has already been received; this callback was not used. Return to the terminal, or start again there.',
        );
        return;
      }
      void callbackParameters(request).then(
        (params) => {
          if (typeof params === 'string') {
            options.onRefused?.(params);
            page(
              response,
              400,
              'Invalid callback',
              `This callback was refused: ${params}. Start again from the terminal.`,
            );
            return;
          }
          accept(params, response);
        },
        () => page(response, 400, 'Invalid callback', 'This callback could not be read.'),
      );
    },
  );

  /** The callback's parameters: the query, or a form_post's body (bounded); a string says why it was refused. */
  async function callbackParameters(request: IncomingMessage): Promise<URLSearchParams | string> {
    if (request.method === 'GET') return new URL(request.url ?? '/', 'http://callback').searchParams;
    const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded') return `a form POST of ${JSON.stringify(type)}`;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_FORM_BYTES) {
        request.destroy();
        return `a form POST of more than ${MAX_FORM_BYTES} bytes`;
      }
      chunks.push(chunk);
    }
    const params = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    for (const name of CALLBACK_PARAMETERS)
      if (params.getAll(name).length > 1) return `a callback with a duplicated "${name}" parameter`;
    return params;
  }

  function accept(params: URLSearchParams, response: ServerResponse): void {
    if (received) {
      options.onRefused?.('callback after the sign-in had already arrived');
      page(response, 410, 'Already used', 'This sign-in has already been received; this callback was not used.');
      return;
    }
    // A JARM response's state is inside its signed JWT: the sign-in's verifier checks it before its code is used.
    const jwt = options.jwtResponse === true && params.has('response');
    if (!jwt && params.get('state') !== options.expectedState) {
      options.onRefused?.('callback with a missing or wrong state');
      page(
        response,
        400,
        'Not this sign-in',
        'This callback does not belong to the sign-in oauth is waiting for (its state does not match). Start again from the terminal.',
      );
      return;
    }
    received = true;
    held = response;
    settle?.resolve(params);
  }

  const respond = (outcome: SignInOutcome) => {
    const response = held;
    held = undefined;
    if (!response) return;
    if (outcome.ok)
      page(response, 200, 'Signed in', 'You are signed in. You can close this tab and return to the terminal.');
    else page(response, 400, 'Sign-in failed', `${outcome.message} You can close this tab; the terminal says more.`);
  };

  function refuse(
    request: IncomingMessage,
    boundPort: number,
  ): { status: number; title: string; reason: string } | undefined {
    const url = new URL(request.url ?? '/', 'http://callback');
    if (url.pathname !== options.path)
      return { status: 404, title: 'Not found', reason: `request for ${url.pathname}, not the callback path` };
    if (request.method !== 'GET' && !(options.formPost && request.method === 'POST'))
      return { status: 405, title: 'Method not allowed', reason: `${request.method} request to the callback` };
    const expectedHost = `${options.host}:${boundPort}`;
    if ((request.headers.host ?? '').toLowerCase() !== expectedHost) {
      return {
        status: 400,
        title: 'Unexpected host',
        reason: `callback with Host ${JSON.stringify(request.headers.host ?? '')}, not ${expectedHost}`,
      };
    }
    for (const name of CALLBACK_PARAMETERS) {
      if (url.searchParams.getAll(name).length > 1)
        return { status: 400, title: 'Invalid callback', reason: `callback with a duplicated "${name}" parameter` };
    }
    return undefined;
  }

  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new CliError(
              'PORT_IN_USE',
              `Port ${options.port} on ${bindAddress} is in use; the callback server cannot listen there.`,
              {
                hint: 'Pick another --port, or leave it out for a random free port (if the client registration allows any port).',
              },
            )
          : error,
      ),
    );
    server.listen(options.port, bindAddress, () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  const timer = setTimeout(
    () => {
      settle?.reject(
        new CliError('LOGIN_TIMED_OUT', `No sign-in arrived within ${Math.round(options.timeoutMs / 1000)}s.`, {
          hint: 'Run the command again and finish in the browser (open the URL it printed yourself if none opened; BROWSER names the program to use), raise --login-timeout (seconds), or sign in with --device where no browser can reach this machine.',
        }),
      );
    },
    Math.min(options.timeoutMs, MAX_TIMER_MS),
  );
  const onAbort = () => settle?.reject(new CliError('CANCELLED', 'Cancelled.'));
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const close = async () => {
    respond({ ok: false, message: 'The sign-in did not complete.' });
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Give the browser the page it is loading, then drop whatever is left (keep-alive, slow-loris).
      setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, 100).unref();
    });
  };

  return { redirectUri: `http://${options.host}:${port}${options.path}`, callback, respond, close };
}

/** For the page: printable as on the terminal (bidi overrides, C0, C1 shown escaped), then HTML-escaped. */
function escapeHtml(text: string): string {
  return printable(text).replace(
    /[&<>"']/g,
    (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!,
  );
}

function page(response: ServerResponse, status: number, title: string, message: string): void {
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} · oauth</title>
<style>body{font:16px system-ui,sans-serif;max-width:34em;margin:4em auto;padding:0 1em;color:#222}</style></head>
<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message.slice(0, 600))}</p></body></html>`;
  response.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
    connection: 'close',
  });
  response.end(body);
}
