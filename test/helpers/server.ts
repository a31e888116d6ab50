// A small HTTP server on 127.0.0.1 whose routes the test defines, good or misbehaving, and which counts requests.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Route = (request: IncomingMessage, response: ServerResponse) => void | Promise<void>;

export interface TestServer {
  url: string;
  origin: string;
  hits: Map<string, number>;
  route(path: string, handler: Route): void;
  close(): Promise<void>;
}

export async function startServer(routes: Record<string, Route> = {}): Promise<TestServer> {
  const table = new Map(Object.entries(routes));
  const hits = new Map<string, number>();
  const sockets = new Set<import('node:net').Socket>();
  const server: Server = createServer(async (request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const handler = table.get(path);
    if (!handler) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    await handler(request, response);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    origin,
    hits,
    route: (path, handler) => void table.set(path, handler),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export const json =
  (body: unknown, headers: Record<string, string> = {}): Route =>
  (_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  };

export const raw =
  (status: number, body: string, headers: Record<string, string> = {}): Route =>
  (_request, response) => {
    response.writeHead(status, headers).end(body);
  };

/** Never answers within the test's patience; the socket is destroyed when the server closes. */
export const hang: Route = () => undefined;

/** A port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface TlsTestServer {
  origin: string;
  /** The server's self-signed certificate, which is its own CA: what --ca-file takes. */
  caFile: string;
  close(): Promise<void>;
}

/** An https server on 127.0.0.1 with a self-signed certificate (openssl) that no machine trusts, answering `body`. */
export async function startTlsServer(body: string): Promise<TlsTestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'oauth-tls-'));
  const caFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  const subject = ['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'];
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1'];
  execFileSync('openssl', ['req', '-x509', ...newKey, '-keyout', keyFile, '-out', caFile, ...subject], {
    stdio: 'ignore',
  });
  const https = createHttpsServer({ key: readFileSync(keyFile), cert: readFileSync(caFile) }, (_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
  return {
    origin: `https://127.0.0.1:${(https.address() as AddressInfo).port}`,
    caFile,
    close: () => new Promise<void>((resolve) => https.close(() => resolve())),
  };
}

/**
 * A server that advertises dynamic registration at /reg (which registers client "registered") and a token endpoint,
 * but neither an authorization nor a device endpoint: for tests that expect a refusal before anything is registered.
 */
export async function startRegistrationServer(): Promise<TestServer> {
  const server = await startServer();
  server.route(
    '/.well-known/openid-configuration',
    json({
      issuer: server.origin,
      registration_endpoint: `${server.origin}/reg`,
      token_endpoint: `${server.origin}/t`,
    }),
  );
  server.route('/reg', (_request, response) => {
    response.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ client_id: 'registered' }));
  });
  return server;
}
