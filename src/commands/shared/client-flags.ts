// The flags of the commands that talk to an authorization server, defined once and spread into each command's flags:
// which server, which client and how it authenticates, what a request asks for. The types the shared helpers take are
// derived from them. Definitions only: building the help loads no protocol code.
import type { EndpointSetting } from '../../oauth/endpoints.js';
import { flag, type FlagValues, option, repeatable, type ValueFlag } from '../define.js';

type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S;

const endpointFlag = (name: EndpointSetting) =>
  option(
    `--${name.replace(/_/g, '-')} <url>`,
    name === 'token_endpoint' ? 'for servers without discovery (skips discovery)' : 'for servers without discovery',
  );

/** One flag per endpoint a server without discovery is given; the compiler holds the keys to ENDPOINT_SETTINGS. */
const ENDPOINT_FLAGS = {
  authorizationEndpoint: endpointFlag('authorization_endpoint'),
  tokenEndpoint: endpointFlag('token_endpoint'),
  deviceAuthorizationEndpoint: endpointFlag('device_authorization_endpoint'),
  revocationEndpoint: endpointFlag('revocation_endpoint'),
  introspectionEndpoint: endpointFlag('introspection_endpoint'),
  userinfoEndpoint: endpointFlag('userinfo_endpoint'),
  jwksUri: endpointFlag('jwks_uri'),
} satisfies { readonly [Name in EndpointSetting as CamelCase<Name>]: ValueFlag };

export const SERVER_FLAGS = {
  issuer: option('--issuer <url>', 'authorization server (discovery); env OAUTH_ISSUER'),
  ...ENDPOINT_FLAGS,
};

/** RFC 8705 mutual TLS: the certificate every TLS connection of the run presents. */
export const CERT_FLAGS = {
  cert: option('--cert <file>', 'PEM client certificate for mutual TLS (RFC 8705); env OAUTH_CERT'),
  key: option('--key <file>', 'PEM private key of --cert; env OAUTH_KEY (passphrase: OAUTH_KEY_PASSPHRASE)'),
  keyPassphraseStdin: flag('--key-passphrase-stdin', "read --key's passphrase from stdin"),
};

export const CLIENT_FLAGS = {
  ...SERVER_FLAGS,
  clientId: option('--client-id <id>', 'OAuth client id; env OAUTH_CLIENT_ID'),
  clientSecretFile: option('--client-secret-file <file>', 'read the client secret from a file'),
  clientSecretStdin: flag('--client-secret-stdin', 'read the client secret from stdin'),
  clientSecret: option(
    '--client-secret <secret>',
    'the client secret (visible to other processes: prefer OAUTH_CLIENT_SECRET)',
  ),
  authMethod: option(
    '--auth-method <method>',
    'none | client_secret_basic | client_secret_post | private_key_jwt | tls_client_auth | self_signed_tls_client_auth',
    {
      choices: [
        'none',
        'client_secret_basic',
        'client_secret_post',
        'private_key_jwt',
        'tls_client_auth',
        'self_signed_tls_client_auth',
      ],
    },
  ),
  privateKey: option('--private-key <file>', 'JWK or PEM private key for private_key_jwt'),
  ...CERT_FLAGS,
};

export const REQUEST_FLAGS = {
  scope: option('--scope <scopes>', 'space-separated scopes; env OAUTH_SCOPE'),
  resource: repeatable('--resource <uri>', 'RFC 8707 resource indicator (repeatable)'),
  audience: repeatable('--audience <aud>', 'audience parameter, for servers that use one (repeatable)'),
  param: repeatable('--param <k=v>', 'extra request parameter (repeatable)'),
};

/** RFC 9449 DPoP: for commands that get tokens (login, token). */
export const DPOP_FLAGS = {
  dpop: flag(
    '--dpop',
    'bind the tokens to a key of this session with DPoP (RFC 9449); env OAUTH_DPOP=1, profile "dpop"',
  ),
  dpopAlg: option('--dpop-alg <alg>', 'the DPoP key: ES256 (default) | ES384 | ES512 | PS256 | RS256 | EdDSA', {
    choices: ['ES256', 'ES384', 'ES512', 'PS256', 'RS256', 'EdDSA'],
  }),
};
export type DpopFlags = FlagValues<typeof DPOP_FLAGS>;

/** RFC 9396, for login and token --client-credentials. */
export const AUTHORIZATION_DETAILS_FLAGS = {
  authorizationDetails: option(
    '--authorization-details <json|@file>',
    'RFC 9396 rich authorization request: a JSON array of objects, each with a "type" (or @file to read it)',
  ),
};

/** How login's authorization request travels: pushed (RFC 9126), signed (RFC 9101), answered as a JWT (JARM). */
export const AUTHORIZATION_REQUEST_FLAGS = {
  par: flag(
    '--par',
    'push the authorization request first (RFC 9126); the browser gets only a request_uri (automatic when the server requires it)',
  ),
  requestObject: flag(
    '--request-object',
    'sign the authorization request as a request object (RFC 9101) with --private-key; combines with --par',
  ),
  responseMode: option(
    '--response-mode <mode>',
    'JARM: jwt | query.jwt | form_post.jwt — the response comes back signed and is verified before its code is used',
  ),
};

export const DEFAULT_LOGIN_TIMEOUT_SECONDS = 300;

/** For commands that sign in (login, and curl on the way), so that the timeout a sign-in's error names is theirs. */
export const SIGN_IN_FLAGS = {
  loginTimeout: option(
    '--login-timeout <seconds>',
    `how long to wait for the sign-in (default ${DEFAULT_LOGIN_TIMEOUT_SECONDS})`,
  ),
};

/** For commands that take a token: revoke, introspect. */
export const TOKEN_COMMAND_FLAGS = {
  ...CLIENT_FLAGS,
  tokenTypeHint: option('--token-type-hint <hint>', 'access_token or refresh_token', {
    choices: ['access_token', 'refresh_token'],
  }),
};

export type TokenCommandFlags = FlagValues<typeof TOKEN_COMMAND_FLAGS>;
export type ServerFlags = FlagValues<typeof SERVER_FLAGS>;
export type ClientFlags = FlagValues<typeof CLIENT_FLAGS>;
export type RequestFlags = FlagValues<typeof REQUEST_FLAGS>;
