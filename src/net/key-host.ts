// The attacker's key host for `oauth check --api`: a server on 127.0.0.1 that the jku and x5u headers of the test
// tokens point to. A correct API never asks it anything; one that does is seen doing so (and, for jku, gets the
// attacker's public keys, so an API that trusts them accepts the forged token). It answers only these two paths.
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface KeyHost {
  jku: string;
  x5u: string;
  /** The paths asked for so far (each once). */
  requested(): string[];
  close(): Promise<void>;
}

const JKU_PATH = '/jwks.json';
const X5U_PATH = '/cert.pem';

export async function startKeyHost(jwks: unknown): Promise<KeyHost> {
  const requested = new Set<string>();
  const sockets = new Set<Socket>();
  const body = JSON.stringify(jwks);
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    if (path === JKU_PATH || path === X5U_PATH) requested.add(path);
    if (path === JKU_PATH) response.writeHead(200, { 'content-type': 'application/json' }).end(body);
    // No certificate: an API that fetches x5u is seen doing it; whether it would trust one is not tested.
    else response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.requestTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  server.unref();
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    jku: `${origin}${JKU_PATH}`,
    x5u: `${origin}${X5U_PATH}`,
    requested: () => [...requested],
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
