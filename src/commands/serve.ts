// `oauth serve`: a local OAuth 2.0 / OpenID Connect server on 127.0.0.1 (oidc-provider), until Ctrl-C.
import type { Context } from './context.js';
import { type ServeFlags, type ServeSettings, serveSettings, startServer } from './shared/local-server.js';
import { Exit } from '../errors.js';
import type { LocalCaFiles } from '../serve/local-ca.js';
import type { LocalClient } from '../serve/provider.js';
import { featureNames, featureSummary } from '../serve/features.js';
import { API_PATH, LAX_API_PATH, resourceMetadataUrl } from '../serve/resource.js';
import { clearRunning, recordRunning } from '../serve/running.js';
import { stateDir } from '../settings/paths.js';
import { defineCommand, flag, option } from './define.js';

export const command = defineCommand({
  name: 'serve',
  description:
    'A local authorization server for trying everything offline and for testing an API: development login and consent ' +
    'pages (any username), a public CLI client, a confidential client and a client-credentials service client, ' +
    'JWT access tokens (RFC 9068) for the audience, refresh-token rotation, the device flow, introspection, revocation and ' +
    'userinfo (which take only opaque access tokens: --opaque-tokens).\n' +
    'Signing keys and client secrets are kept in the state directory, so tokens stay verifiable across restarts; ' +
    'sign-in sessions, grants and refresh tokens live in memory and are gone after a restart (sign in again).\n' +
    'While it runs it records its issuer (with the port it got), audience and alg there too: `oauth mint` and ' +
    '`oauth check --api` make their tokens for it unless given --issuer or --aud/--audience (on systems with /proc, ' +
    'where the record can be tied to this very process). A second server on the same state directory warns, takes ' +
    'the record over while it runs and hands it back to the first when it stops.\n' +
    'It also hosts an example protected resource, the orders API at /api/orders (GET needs api:read, POST api:write), ' +
    'which validates its tokens as an API should (Authorization header only, signature with the server\u2019s keys, ' +
    'typ at+jwt, iss, aud, exp, nbf with 30 s of leeway, scope, DPoP binding) and answers RFC 6750 challenges that ' +
    'point at its RFC 9728 metadata, /.well-known/oauth-protected-resource/api/orders. Its resource identifier is its ' +
    'URL, <issuer>/api/orders: it accepts tokens whose aud is that URL (a client asks for resource=<that URL>) or the ' +
    '--audience (what the server issues when no resource is named).\n' +
    'Modern OAuth is on: DPoP (RFC 9449; --dpop-nonce to require nonces), pushed authorization requests (RFC 9126; ' +
    '--require-par to require them), signed request objects (RFC 9101, JAR), JWT-secured authorization responses ' +
    '(JARM, response_mode=jwt) and rich authorization requests (RFC 9396) of the type payment_initiation, each ' +
    'advertised in its metadata. The private_key_jwt client jwt-client has its private key written beside the state ' +
    '(path in the banner and --json), for `oauth login --private-key` to sign its client assertions and request objects.\n' +
    '--lax-api adds a deliberately insecure twin at /lax-api/orders (metadata under the same rule) that makes the ' +
    'classic mistakes, for trying `oauth check --api` on: never put it in front of anything real.',
  flags: {
    port: option('--port <port>', 'port on 127.0.0.1 (default 9400; 0 for a random free port)'),
    audience: option('--audience <uri>', 'the API audience of access tokens (default http://127.0.0.1/api)'),
    accessTokenTtl: option('--access-token-ttl <seconds>', 'access token lifetime (default 900)'),
    refreshTokenTtl: option('--refresh-token-ttl <seconds>', 'refresh token lifetime (default 1209600)'),
    alg: option('--alg <alg>', 'signing algorithm: RS256 (default), PS256, ES256, EdDSA', {
      choices: ['RS256', 'PS256', 'ES256', 'EdDSA'],
    }),
    ephemeral: flag(
      '--ephemeral',
      'throwaway keys and secrets, nothing saved (oauth mint and oauth check --api cannot sign for such a server)',
    ),
    opaqueTokens: flag(
      '--opaque-tokens',
      'opaque access tokens (for userinfo, introspection, revocation) unless a client asks for the audience as its resource',
    ),
    laxApi: flag(
      '--lax-api',
      'also serve a DELIBERATELY INSECURE example API at /lax-api/orders: accepts expired, unsigned, HS256-with-the-public-key, ' +
        'wrong-audience, prefix-issuer, ID and query-string tokens, trusts jwk headers, skips scope and DPoP checks',
    ),
    registration: flag(
      '--registration',
      'open dynamic client registration (RFC 7591/7592), for "oauth register" and "oauth login --register"',
    ),
    dpopNonce: flag(
      '--dpop-nonce',
      'require a server-provided nonce in every DPoP proof (RFC 9449 section 8), at the token endpoint and the example API',
    ),
    requirePar: flag(
      '--require-par',
      'require pushed authorization requests (RFC 9126): the authorization endpoint takes only a request_uri',
    ),
  },
  examples: [
    'oauth serve',
    'oauth serve --registration    # then: oauth login --issuer http://127.0.0.1:9400 --register',
    'oauth serve --dpop-nonce --require-par',
    'oauth serve --audience https://api.example.test --access-token-ttl 60 --alg ES256',
    'curl -i -H "Authorization: Bearer $(oauth mint)" http://127.0.0.1:9400/api/orders',
    'oauth serve --lax-api',
    'exec 3< <(oauth serve --port 0 --json); server=$!; read -r info <&3   # in a bash script; kill -INT $server to stop',
  ],
  exits:
    'With --json the first stdout line, printed once it listens, is {"issuer", "audience", "access_tokens", "jwks_uri", "discovery", "keys", "mintable" (false with --ephemeral: oauth mint and check --api cannot sign for it), "registration" (true with --registration), "features" (["dpop", "par", "jar", "jarm", "rar", "mtls"]), "dpop_nonce_required", "par_required", "client_key" (the path of the private JWK of jwt-client), "api", "api_metadata", "lax_api"? and "lax_api_metadata"? (with --lax-api), "mtls": {"origin", "ca_file", "cert", "key", "api", "api_metadata"} (RFC 8705: the mutual-TLS listener, the CA to trust, the client certificate and key files, the orders API on that listener, which takes certificate-bound tokens), "clients": [{"client_id", "client_secret"?, "grant_types", "redirect_uris", …}]}.\n' +
    'It runs until stopped: read that line, do not wait for the output to end.',
  run: (_args, flags, ctx) => run(flags, ctx),
});

export function describeClients(clients: LocalClient[]) {
  return clients.map((client) => ({
    client_id: client.client_id,
    ...(client.client_secret ? { client_secret: client.client_secret } : {}),
    token_endpoint_auth_method: client.token_endpoint_auth_method,
    grant_types: client.grant_types,
    redirect_uris: client.redirect_uris,
    description: client.description,
  }));
}

export async function run(flags: ServeFlags, ctx: Context): Promise<number> {
  const settings = serveSettings(flags);
  const { server, clientKeyPath, mtls } = await startServer(settings, ctx, ctx.io.env, { mtls: true });
  const clients = describeClients(server.clients);
  // For `oauth mint` and `oauth check --api`: the issuer with the port it really got, the audience and alg; an
  // --ephemeral server says its keys are throwaway, so those commands refuse to sign with the state's keys for it.
  const directory = stateDir(ctx.io.env);
  const replaced = await recordRunning(directory, {
    issuer: server.issuer,
    audience: settings.audience,
    alg: settings.alg,
    ephemeral: settings.ephemeral,
  }).catch(() => {
    ctx.out.warn('Could not record this server in the state directory: oauth mint will not find its issuer.');
    return undefined;
  });
  if (replaced)
    ctx.out.warn(
      `Another oauth serve runs on this state directory (pid ${replaced.pid}, ${replaced.issuer}): oauth mint and oauth check --api now follow this one, and the other again once this one stops.`,
    );
  if (ctx.out.json) {
    ctx.out.jsonResult({
      issuer: server.issuer,
      audience: settings.audience,
      access_tokens: settings.opaqueTokens ? 'opaque' : 'jwt',
      jwks_uri: `${server.issuer}/jwks`,
      discovery: `${server.issuer}/.well-known/openid-configuration`,
      keys: settings.ephemeral ? 'ephemeral' : 'persisted',
      mintable: !settings.ephemeral,
      registration: settings.registration,
      features: [...featureNames(settings.features), ...(mtls ? ['mtls'] : [])],
      dpop_nonce_required: settings.features.dpop?.nonce === true,
      par_required: settings.features.par?.required === true,
      client_key: clientKeyPath,
      api: `${server.issuer}${API_PATH}`,
      api_metadata: resourceMetadataUrl(server.issuer, API_PATH),
      ...(settings.laxApi
        ? {
            lax_api: `${server.issuer}${LAX_API_PATH}`,
            lax_api_metadata: resourceMetadataUrl(server.issuer, LAX_API_PATH),
          }
        : {}),
      ...(mtls && server.mtlsOrigin
        ? {
            mtls: {
              origin: server.mtlsOrigin,
              ca_file: mtls.ca,
              cert: mtls.clientCert,
              key: mtls.clientKey,
              api: `${server.mtlsOrigin}${API_PATH}`,
              api_metadata: resourceMetadataUrl(server.mtlsOrigin, API_PATH),
            },
          }
        : {}),
      clients,
    });
  } else {
    ctx.out.result(
      banner(
        server.issuer,
        settings,
        clients,
        clientKeyPath,
        ctx,
        mtls && server.mtlsOrigin ? { ...mtls, origin: server.mtlsOrigin } : undefined,
      ),
    );
  }
  ctx.out.info(ctx.out.json ? `serving ${server.issuer} (Ctrl-C to stop)` : 'Ctrl-C to stop.');
  await new Promise<void>((resolve) => {
    if (ctx.io.signal.aborted) resolve();
    ctx.io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await clearRunning(directory, replaced).catch(() => undefined);
  await server.close();
  ctx.out.info('Stopped.');
  return Exit.ok;
}

function banner(
  issuer: string,
  settings: ServeSettings,
  clients: ReturnType<typeof describeClients>,
  clientKeyPath: string,
  ctx: Context,
  mtls?: LocalCaFiles & { origin: string },
): string[] {
  const style = ctx.out.style;
  const confidential = clients.find((client) => client.client_id === 'confidential-app');
  const service = clients.find((client) => client.client_id === 'service');
  const lines = [
    `${style.green('✓')} Local authorization server at ${style.bold(issuer)}`,
    `  discovery  ${issuer}/.well-known/openid-configuration`,
    `  JWKS       ${issuer}/jwks (${settings.alg}; keys ${settings.ephemeral ? 'thrown away on exit: oauth mint and oauth check --api cannot sign for this server' : 'kept in the state directory'})`,
    settings.opaqueTokens
      ? `  tokens     opaque access tokens (userinfo, introspection, revocation); a JWT (RFC 9068) when a client asks for resource=${settings.audience}; ${settings.accessTokenTtlSeconds}s`
      : `  tokens     JWT access tokens (RFC 9068) for ${settings.audience}, ${settings.accessTokenTtlSeconds}s (--opaque-tokens for tokens that work at userinfo and introspection)`,
    `  sign-in    any username, any password`,
    `  API        ${issuer}${API_PATH} (api:read to GET, api:write to POST; aud ${issuer}${API_PATH} or ${settings.audience})`,
    `  metadata   ${resourceMetadataUrl(issuer, API_PATH)}`,
    ...(settings.laxApi
      ? [
          `  ${style.red('lax API')}    ${issuer}${LAX_API_PATH} ${style.red('DELIBERATELY INSECURE')}: accepts expired, unsigned, forged and misdirected tokens`,
        ]
      : []),
    `  features   ${featureSummary(settings.features)}${mtls ? ', mtls' : ''}`,
    settings.registration
      ? `  register   ${issuer}/reg (RFC 7591, open to anyone; RFC 7592 management)`
      : '  register   off (--registration opens dynamic client registration)',
    ...(mtls
      ? [
          `  mTLS       ${mtls.origin} (RFC 8705: mtls_endpoint_aliases, tls_client_auth, certificate-bound tokens)`,
          `  CA         ${mtls.ca} (trust it: --ca-file or OAUTH_CA_FILE)`,
          `  client     certificate ${mtls.clientCert}, key ${mtls.clientKey} (${settings.ephemeral ? 'removed on exit' : 'kept in the state directory with the CA'})`,
          `  mTLS API   ${mtls.origin}${API_PATH} (takes certificate-bound tokens with their certificate)`,
        ]
      : []),
    '',
    style.bold('Clients'),
    ...clients.flatMap((client) => [
      `  ${style.cyan(client.client_id.padEnd(17))} ${client.description}`,
      ...(client.client_secret ? [`  ${''.padEnd(17)} secret: ${client.client_secret}`] : []),
      ...(client.token_endpoint_auth_method === 'private_key_jwt'
        ? [`  ${''.padEnd(17)} client key: ${clientKeyPath}`]
        : []),
    ]),
    '',
    style.bold('Try'),
    `  oauth login --issuer ${issuer} --client-id oauth-cli --scope "openid offline_access api:read"`,
    `  oauth token | oauth decode - --verify --issuer ${issuer} --audience ${settings.audience}`,
    `  curl -i -H "Authorization: Bearer $(oauth token)" ${issuer}${API_PATH}`,
    `  OAUTH_CLIENT_SECRET=${service?.client_secret ?? '…'} oauth token --client-credentials --issuer ${issuer} --client-id service | oauth decode - --verify --issuer ${issuer} --audience ${settings.audience}`,
    `  OAUTH_CLIENT_SECRET=${confidential?.client_secret ?? '…'} oauth login --issuer ${issuer} --client-id confidential-app`,
    `  oauth check --issuer ${issuer} --client-id oauth-cli --redirect-uri http://127.0.0.1/callback --public --probe`,
    `  oauth login --issuer ${issuer} --client-id jwt-client --private-key ${clientKeyPath} --request-object`,
    ...(settings.registration ? [`  oauth login --issuer ${issuer} --register --profile registered`] : []),
    ...(mtls
      ? [
          `  oauth token --client-credentials --issuer ${issuer} --client-id mtls-client --auth-method tls_client_auth --cert ${mtls.clientCert} --key ${mtls.clientKey} --ca-file ${mtls.ca}`,
          `  oauth login --profile mtls --issuer ${issuer} --client-id mtls-client --auth-method tls_client_auth --cert ${mtls.clientCert} --key ${mtls.clientKey} --ca-file ${mtls.ca} --scope "openid api:read"`,
          `  oauth curl --profile mtls --cert ${mtls.clientCert} --key ${mtls.clientKey} --ca-file ${mtls.ca} ${mtls.origin}${API_PATH}`,
        ]
      : []),
  ];
  return lines;
}
