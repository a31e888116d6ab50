// The loopback redirect server for `oauth login` (RFC 8252 §7.3). Written by hand on node:http because its job is to
// refuse: other paths, other methods, foreign Host headers (DNS rebinding), duplicated parameters and wrong state are
// answered and ignored, and only one good callback ends the wait.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { CliError } from './errors.js';

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
}

export interface CallbackServer {
  redirectUri: string;
  /** Resolves with the callback's parameters once a request with the right state arrives. */
  callback: Promise<URLSearchParams>;
  close(): Promise<void>;
}

const CALLBACK_PARAMETERS = ['code', 'state', 'iss', 'error', 'error_description', 'error_uri'];

export async function startCallbackServer(options: CallbackServerOptions): Promise<CallbackServer> {
  const bindAddress = options.host === '[::1]' ? '::1' : '127.0.0.1';
  const sockets = new Set<Socket>();
  let settle: { resolve: (value: URLSearchParams) => void; reject: (error: unknown) => void } | undefined;
  const callback = new Promise<URLSearchParams>((resolve, reject) => (settle = { resolve, reject }));
  callback.catch(() => undefined);
  let port = options.port;

  const requestTimeout = options.requestTimeoutMs ?? 10_000;
  // Node checks these timeouts only every connectionsCheckingInterval (30 s by default): check often enough to matter.
  const server = createServer({ maxHeaderSize: 8192, requestTimeout, headersTimeout: requestTimeout, connectionsCheckingInterval: Math.min(1000, requestTimeout), keepAliveTimeout: 1000 }, (request, response) => {
    const refusal = refuse(request, port);
    if (refusal) {
      options.onRefused?.(refusal.reason);
      page(response, refusal.status, refusal.title, refusal.reason);
      return;
    }
    const params = new URL(request.url ?? '/', 'http://callback').searchParams;
    if (params.get('state') !== options.expectedState) {
      options.onRefused?.('callback with a missing or wrong state');
      page(response, 400, 'Not this sign-in', 'This callback does not belong to the sign-in oauth is waiting for (its state does not match). Start again from the terminal.');
      return;
    }
    const error = params.get('error');
    if (error) {
      page(response, 200, 'Sign-in failed', `The authorization server answered ${error}${params.get('error_description') ? `: ${params.get('error_description')}` : ''}. You can close this tab.`);
    } else {
      page(response, 200, 'Signed in', 'You are signed in. You can close this tab and return to the terminal.');
    }
    settle?.resolve(params);
  });

  function refuse(request: IncomingMessage, boundPort: number): { status: number; title: string; reason: string } | undefined {
    const url = new URL(request.url ?? '/', 'http://callback');
    if (url.pathname !== options.path) return { status: 404, title: 'Not found', reason: `request for ${url.pathname}, not the callback path` };
    if (request.method !== 'GET') return { status: 405, title: 'Method not allowed', reason: `${request.method} request to the callback` };
    const expectedHost = `${options.host}:${boundPort}`;
    if ((request.headers.host ?? '').toLowerCase() !== expectedHost) {
      return { status: 400, title: 'Unexpected host', reason: `callback with Host ${JSON.stringify(request.headers.host ?? '')}, not ${expectedHost}` };
    }
    for (const name of CALLBACK_PARAMETERS) {
      if (url.searchParams.getAll(name).length > 1) return { status: 400, title: 'Invalid callback', reason: `callback with a duplicated "${name}" parameter` };
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
          ? new CliError('PORT_IN_USE', `Port ${options.port} on ${bindAddress} is in use; the callback server cannot listen there.`, {
              hint: 'Pick another --port, or leave it out for a random free port (if the client registration allows any port).',
            })
          : error,
      ),
    );
    server.listen(options.port, bindAddress, () => resolve());
  });
  port = (server.address() as AddressInfo).port;

  const timer = setTimeout(() => {
    settle?.reject(
      new CliError('LOGIN_TIMED_OUT', `No sign-in arrived within ${Math.round(options.timeoutMs / 1000)}s.`, {
        hint: 'Run "oauth login" again and finish in the browser, or raise --login-timeout.',
      }),
    );
  }, options.timeoutMs);
  const onAbort = () => settle?.reject(new CliError('CANCELLED', 'Cancelled.'));
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const close = async () => {
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

  return { redirectUri: `http://${options.host}:${port}${options.path}`, callback, close };
}

function escapeHtml(text: string): string {
  return text
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ')
    .replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);
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
