// `oauth check --resource` judges an authorization server's metadata as the client does: a document `oauth discover`
// would refuse (another issuer, an endpoint outside the URL policy) is a finding, not a pass.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { json, raw, startServer, type TestServer } from '../../helpers/server.js';

let api: TestServer;
beforeAll(async () => {
  api = await startServer();
});
afterAll(async () => {
  await api.close();
});

/** An API at /<name> whose metadata names the authorization server at /<name>-as, which serves `document`. */
function publish(name: string, document: (issuer: string) => string): string {
  const resource = `${api.origin}/${name}`;
  const issuer = `${api.origin}/${name}-as`;
  api.route(`/${name}`, raw(401, '', { 'www-authenticate': 'Bearer' }));
  api.route(
    `/.well-known/oauth-protected-resource/${name}`,
    json({ resource, authorization_servers: [issuer], bearer_methods_supported: ['header'] }),
  );
  api.route(
    `/${name}-as/.well-known/openid-configuration`,
    raw(200, document(issuer), { 'content-type': 'application/json' }),
  );
  return resource;
}

describe('oauth check --resource: the authorization servers', () => {
  it('passes a server whose metadata the client accepts', async () => {
    const resource = publish('good', (issuer) =>
      JSON.stringify({ issuer, authorization_endpoint: `${issuer}/auth`, token_endpoint: `${issuer}/token` }),
    );
    const result = await runCli(['check', '--resource', resource]);
    expect(result.stdout).not.toContain('resource-authorization-server-unreachable');
    expect(result.stdout).not.toContain('no usable metadata');
  });

  it('fails a document that names its issuer twice (readers differ on which counts), as discover does', async () => {
    const resource = publish(
      'twin',
      (issuer) =>
        `{"issuer":${JSON.stringify(issuer)},"issuer":"http://evil.example","token_endpoint":"${issuer}/token"}`,
    );
    const discovered = await runCli(['discover', '--resource', resource]);
    expect(discovered.code).toBe(5);
    const result = await runCli(['check', '--resource', resource]);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('no usable metadata');
    expect(result.stdout).toContain('names the member "issuer" twice');
  });

  it('fails a document whose registration_endpoint is plain http to a host that is not loopback', async () => {
    const resource = publish('plain', (issuer) =>
      JSON.stringify({
        issuer,
        token_endpoint: `${issuer}/token`,
        registration_endpoint: 'http://evil.example/register',
      }),
    );
    expect((await runCli(['discover', '--resource', resource])).code).toBe(5);
    const result = await runCli(['check', '--resource', resource]);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('no usable metadata');
    expect(result.stdout).toContain('registration_endpoint');
  });
});
