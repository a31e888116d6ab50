// Mutual TLS (RFC 8705) end to end: a real oidc-provider with its mutual-TLS listener and local CA; the CLI presents
// the client certificate, authenticates with tls_client_auth at the mtls_endpoint_aliases and gets a token bound to
// the certificate, which decode --cert confirms. Wrong certificates, keys and passphrases are said, naming the file.
import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateThumbprint } from '../../src/net/client-cert.js';
import { createLocalCa } from '../../src/serve/local-ca.js';
import { extensions, issueCertificate } from '../../src/serve/x509-der.js';
import { sandboxEnv, spawnCli } from '../helpers/cli.js';
import { startAuthorizationServer, type TestAuthorizationServer } from '../helpers/oidc.js';
import { serve, stopEveryServe } from '../helpers/serve.js';
import { USER_SCOPE, userHome } from '../helpers/sign-in.js';

/** A certificate no CA signed, registered by its key (with x5c) for self_signed_tls_client_auth (RFC 8705 §2.2). */
const selfSigned = (() => {
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const now = Date.now();
  const cert = issueCertificate({
    subject: 'self-signed-client',
    issuer: 'self-signed-client',
    publicKey: keys.publicKey,
    signingKey: keys.privateKey,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 3_600_000),
    extensions: [extensions.basicConstraints(false), extensions.keyUsage(false), extensions.extKeyUsage('client')],
  });
  const x5c = [new X509Certificate(cert).raw.toString('base64')];
  return {
    cert,
    key: keys.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKey: keys.publicKey,
    x5c,
  };
})();

let as: TestAuthorizationServer;
beforeAll(async () => {
  const jwk = { ...(await exportJWK(selfSigned.publicKey)), x5c: selfSigned.x5c };
  as = await startAuthorizationServer({
    mtls: true,
    clients: (defaults) => [
      ...defaults,
      {
        client_id: 'self-signed-client',
        description: 'self_signed_tls_client_auth',
        grant_types: ['client_credentials'],
        redirect_uris: [],
        token_endpoint_auth_method: 'self_signed_tls_client_auth',
        tls_client_certificate_bound_access_tokens: true,
        jwks: { keys: [jwk] },
      },
    ],
  });
});
afterAll(async () => {
  stopEveryServe();
  await as.close();
});

const PASSPHRASE = 'correct horse battery staple 42';

function files(home: string) {
  const ca = as.localCa!;
  const paths = {
    ca: join(home, 'ca.pem'),
    cert: join(home, 'client.pem'),
    key: join(home, 'client-key.pem'),
    encryptedKey: join(home, 'client-key-encrypted.pem'),
    otherCert: join(home, 'other.pem'),
    otherKey: join(home, 'other-key.pem'),
  };
  writeFileSync(paths.ca, ca.ca);
  writeFileSync(paths.cert, ca.client.cert);
  writeFileSync(paths.key, ca.client.key, { mode: 0o600 });
  const encrypted = createPrivateKey(ca.client.key).export({
    format: 'pem',
    type: 'pkcs8',
    cipher: 'aes-256-cbc',
    passphrase: PASSPHRASE,
  });
  writeFileSync(paths.encryptedKey, encrypted, { mode: 0o600 });
  // Another CA's client certificate with the same subject: the server must not trust it.
  const other = createLocalCa();
  writeFileSync(paths.otherCert, other.client.cert);
  writeFileSync(paths.otherKey, other.client.key, { mode: 0o600 });
  return paths;
}

const tokenArgs = ['token', '--client-credentials', '--client-id', 'mtls-client', '--auth-method', 'tls_client_auth'];

describe('mutual TLS (RFC 8705)', () => {
  it('gets a token with tls_client_auth at the mtls alias, bound to the certificate (cnf x5t#S256)', async () => {
    const env = sandboxEnv({ OAUTH_ISSUER: as.issuer, OAUTH_STORE: 'memory' });
    const paths = files(env.HOME!);
    const result = await spawnCli(
      [...tokenArgs, '--cert', paths.cert, '--key', paths.key, '--ca-file', paths.ca, '--scope', 'api:read', '-v'],
      { env },
    );
    expect(result.code, result.stderr).toBe(0);
    // The request went to the alias on the mutual-TLS listener, named as the token endpoint.
    expect(result.stderr).toContain(`> POST ${as.mtlsOrigin}/token`);
    const token = result.stdout.trim();
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as {
      cnf?: Record<string, string>;
    };
    expect(claims.cnf?.['x5t#S256']).toBe(certificateThumbprint(as.localCa!.client.cert));
    expect(result.stderr).not.toContain('PRIVATE KEY');

    const bound = await spawnCli(['decode', token, '--cert', paths.cert], { env });
    expect(bound.code, bound.stderr).toBe(0);
    expect(bound.stdout).toContain('bound to --cert');
    expect(bound.stdout).toContain(claims.cnf!['x5t#S256']);
    const notBound = await spawnCli(['decode', token, '--cert', paths.otherCert], { env });
    expect(notBound.code).toBe(3);
    expect(notBound.stdout).toContain('not bound to --cert');
    expect(notBound.stderr).toContain('bound to another certificate');
    const json = await spawnCli(['decode', token, '--cert', paths.cert, '--json'], { env });
    expect(JSON.parse(json.stdout).certificateBinding.certificate.bound).toBe(true);
    // Several tokens on stdin: each line says it, and one that is not bound makes the run exit 3.
    const batch = await spawnCli(['decode', '-', '--cert', paths.cert], { env, stdin: `${token}\n${token}\n` });
    expect(batch.code, batch.stderr).toBe(0);
    expect(batch.stdout.match(/bound to --cert/g)).toHaveLength(2);
    const batchOther = await spawnCli(['decode', '-', '--cert', paths.otherCert], {
      env,
      stdin: `${token}\n${token}\n`,
    });
    expect(batchOther.code).toBe(3);
    expect(batchOther.stdout).toContain('JWT_CERT_MISMATCH');
  });

  it('reads an encrypted key with the passphrase from OAUTH_KEY_PASSPHRASE or stdin; a wrong one is exit 2', async () => {
    const env = sandboxEnv({ OAUTH_ISSUER: as.issuer, OAUTH_STORE: 'memory' });
    const paths = files(env.HOME!);
    const args = [...tokenArgs, '--cert', paths.cert, '--key', paths.encryptedKey, '--ca-file', paths.ca];
    const withEnv = await spawnCli(args, { env: { ...env, OAUTH_KEY_PASSPHRASE: PASSPHRASE } });
    expect(withEnv.code, withEnv.stderr).toBe(0);
    const withStdin = await spawnCli([...args, '--no-cache', '--key-passphrase-stdin'], {
      env,
      stdin: `${PASSPHRASE}\n`,
    });
    expect(withStdin.code, withStdin.stderr).toBe(0);
    const wrong = await spawnCli(args, { env: { ...env, OAUTH_KEY_PASSPHRASE: 'not the passphrase' } });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(
      `Cannot decrypt --key ${paths.encryptedKey} with the passphrase from OAUTH_KEY_PASSPHRASE`,
    );
    expect(wrong.stderr).not.toContain('not the passphrase');
    const none = await spawnCli(args, { env });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('is encrypted and no passphrase was given');
  });

  it('says what is wrong with the files before any request: missing, not PEM, key of another certificate', async () => {
    const env = sandboxEnv({ OAUTH_ISSUER: as.issuer, OAUTH_STORE: 'memory' });
    const paths = files(env.HOME!);
    const run = (cert: string, key: string) =>
      spawnCli([...tokenArgs, '--cert', cert, '--key', key, '--ca-file', paths.ca], { env });
    const missing = await run(join(env.HOME!, 'nope.pem'), paths.key);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.pem');
    const notPem = await run(paths.key, paths.key);
    expect(notPem.code).toBe(2);
    expect(notPem.stderr).toContain(`--cert ${paths.key} holds no PEM certificate`);
    const mismatch = await run(paths.cert, paths.otherKey);
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toContain('is not the private key of the certificate');
    for (const result of [missing, notPem, mismatch]) expect(result.stderr).not.toContain('PRIVATE KEY');
    const alone = await spawnCli([...tokenArgs, '--ca-file', paths.ca], { env });
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain('tls_client_auth needs a client certificate');
    const certOnly = await spawnCli([...tokenArgs, '--ca-file', paths.ca, '--cert', paths.cert], { env });
    expect(certOnly.code).toBe(2);
    expect(certOnly.stderr).toContain('--cert needs --key (or OAUTH_KEY) too.');
  });

  it('is refused by the server with a certificate of another CA', async () => {
    const env = sandboxEnv({ OAUTH_ISSUER: as.issuer, OAUTH_STORE: 'memory' });
    const paths = files(env.HOME!);
    const result = await spawnCli(
      [...tokenArgs, '--cert', paths.otherCert, '--key', paths.otherKey, '--ca-file', paths.ca],
      { env },
    );
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('invalid_client');
  });

  it('oauth serve makes a CA and a client certificate, prints their paths, and gives a bound token for them', async () => {
    const env = sandboxEnv({ OAUTH_STORE: 'memory' });
    const served = await serve(env);
    try {
      const mtls = served.info.mtls!;
      expect(mtls.origin).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(statSync(mtls.key).mode & 0o777).toBe(0o600);
      expect(served.info.clients.map((client) => client.client_id)).toContain('mtls-client');
      const discovery = await spawnCli(['discover', served.info.issuer, '--json'], { env });
      expect(discovery.stdout).toContain(`${mtls.origin}/token`);
      const result = await spawnCli(
        [...tokenArgs, '--issuer', served.info.issuer, '--cert', mtls.cert, '--key', mtls.key],
        { env: { ...env, OAUTH_CA_FILE: mtls.ca_file } },
      );
      expect(result.code, result.stderr).toBe(0);
      const decoded = await spawnCli(['decode', result.stdout.trim(), '--cert', mtls.cert], { env });
      expect(decoded.code, decoded.stderr).toBe(0);
      expect(decoded.stdout).toContain('bound to --cert');
      // Without the CA, the mutual-TLS listener's certificate is not trusted: said, with what to do.
      const untrusted = await spawnCli(
        [...tokenArgs, '--issuer', served.info.issuer, '--cert', mtls.cert, '--key', mtls.key, '--no-cache'],
        { env },
      );
      expect(untrusted.code).toBe(5);
      expect(untrusted.stderr).toContain('--ca-file');
    } finally {
      await served.stop();
    }
  });

  it("a second oauth serve on the same state keeps the first one's CA and client certificate: both servers take them", async () => {
    const env = sandboxEnv({ OAUTH_STORE: 'memory' });
    const first = await serve(env);
    try {
      const mtls = first.info.mtls!;
      const before = [mtls.ca_file, mtls.cert, mtls.key].map((path) => readFileSync(path, 'utf8'));
      const second = await serve(env);
      try {
        expect(second.info.mtls!.cert).toBe(mtls.cert);
        expect([mtls.ca_file, mtls.cert, mtls.key].map((path) => readFileSync(path, 'utf8'))).toEqual(before);
        for (const server of [first, second]) {
          const result = await spawnCli(
            [...tokenArgs, '--issuer', server.info.issuer, '--cert', mtls.cert, '--key', mtls.key, '--no-cache'],
            { env: { ...env, OAUTH_CA_FILE: mtls.ca_file } },
          );
          expect(result.code, result.stderr).toBe(0);
        }
      } finally {
        await second.stop();
      }
    } finally {
      await first.stop();
    }
  });

  it('signs in with tls_client_auth, keeps the certificate with the session, and refreshes only with it', async () => {
    const home = userHome({ OAUTH_NO_CACHE: '1' });
    const paths = files(home.env.HOME!);
    const env = { ...home.env, OAUTH_CA_FILE: paths.ca };
    const signIn = await spawnCli(
      [
        'login',
        '--issuer',
        as.issuer,
        '--client-id',
        'mtls-client',
        '--auth-method',
        'tls_client_auth',
        '--cert',
        paths.cert,
        '--key',
        paths.key,
        '--scope',
        USER_SCOPE,
      ],
      { env },
    );
    expect(signIn.code, signIn.stderr).toBe(0);
    const session = home.storedSession();
    expect(session.cert_thumbprint).toBe(certificateThumbprint(as.localCa!.client.cert));
    expect(session.refresh_token).toBeDefined();
    // The profile keeps the files: a refresh presents the same certificate without being told again.
    const refreshed = await spawnCli(['token', '--refresh'], { env });
    expect(refreshed.code, refreshed.stderr).toBe(0);
    expect(home.storedSession().access_token).not.toBe(session.access_token);
    const other = await spawnCli(['token', '--refresh', '--cert', paths.otherCert, '--key', paths.otherKey], {
      env,
    });
    expect(other.code).toBe(2);
    expect(other.stderr).toContain(`obtained with the client certificate whose x5t#S256 is ${session.cert_thumbprint}`);
    expect(other.stderr).toContain('presents another one');
    const stored = home.storedSession();
    const status = await spawnCli(['status', '--json'], { env });
    expect(status.stdout).toContain(`"cert_thumbprint":"${session.cert_thumbprint}"`);
    const used = await spawnCli(['token', '--cert', paths.otherCert, '--key', paths.otherKey], { env });
    expect(used.code, used.stderr).toBe(0);
    expect(used.stderr).toContain('servers will refuse its tokens');
    expect(used.stdout.trim()).toBe(stored.access_token);
    const shown = await spawnCli(['status'], { env });
    expect(shown.stdout).toContain(`(certificate-bound, x5t#S256 ${session.cert_thumbprint})`);
    // A profile that no longer names the certificate presents none: said too, before the token is used.
    const config = JSON.parse(readFileSync(home.configFile, 'utf8'));
    delete config.profiles.default.cert;
    delete config.profiles.default.key;
    writeFileSync(home.configFile, JSON.stringify(config));
    const none = await spawnCli(['token'], { env });
    expect(none.code, none.stderr).toBe(0);
    expect(none.stderr).toContain('this run presents none, so servers will refuse its tokens');
  });

  it('authenticates with self_signed_tls_client_auth: a certificate no CA signed, registered by its key', async () => {
    const env = sandboxEnv({ OAUTH_ISSUER: as.issuer, OAUTH_STORE: 'memory' });
    const paths = files(env.HOME!);
    const cert = join(env.HOME!, 'self-signed.pem');
    const key = join(env.HOME!, 'self-signed-key.pem');
    writeFileSync(cert, selfSigned.cert);
    writeFileSync(key, selfSigned.key, { mode: 0o600 });
    const args = ['token', '--client-credentials', '--client-id', 'self-signed-client', '--ca-file', paths.ca];
    const result = await spawnCli(
      [...args, '--auth-method', 'self_signed_tls_client_auth', '--cert', cert, '--key', key],
      {
        env,
      },
    );
    expect(result.code, result.stderr).toBe(0);
    const decoded = await spawnCli(['decode', result.stdout.trim(), '--cert', cert], { env });
    expect(decoded.code, decoded.stderr).toBe(0);
    // Another certificate is not the registered one.
    const other = await spawnCli(
      [...args, '--auth-method', 'self_signed_tls_client_auth', '--cert', paths.cert, '--key', paths.key],
      { env },
    );
    expect(other.code).toBe(5);
    expect(other.stderr).toContain('invalid_client');
  });
});
