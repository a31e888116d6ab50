// Every command: its name, summary and arguments (enough for `oauth --help`), the details only the command being run
// needs (description, options, examples), and how it runs. Only the command being run gets its options built. The
// two commands scripts run in loops, decode and token, are part of the main bundle (loading a module costs more than
// compiling one); every other command's module is imported only when it runs.
import type { Command } from 'commander';
import type { Context } from './context.js';
import { DEFAULT_TIMEOUT_SECONDS } from '../settings/duration.js';
import * as decodeCommand from './decode.js';
import { addClientOptions, loginOptions, tokenCommandOptions, tokenOptions } from './options.js';
import * as tokenCommand from './token.js';

export interface CommandSpec {
  name: string;
  summary: string;
  args?: Array<[string, string]>;
  details?: (command: Command) => void;
  /**
   * Flags whose URLs are audited rather than called (check's redirect URIs): they keep their user:password@, which is
   * what the audit reports, and it is still registered as a secret, so nothing printed shows it.
   */
  auditedUrlFlags?: string[];
  run(args: Array<string | undefined>, options: Record<string, unknown>, ctx: Context): Promise<number>;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export const examples = (lines: string[], exits?: string) =>
  `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}${exits ? `\n\n${exits}` : ''}`;

export const PROGRAM_HELP = `
Examples:
  $ oauth demo                                                         see everything work, offline
  $ oauth login --issuer https://id.example.com --client-id my-cli    sign in (browser, PKCE)
  $ TOKEN=$(oauth token)                                               a fresh access token
  $ oauth token --client-credentials --client-id svc --scope api:read  a service token (secret from OAUTH_CLIENT_SECRET)
  $ oauth decode "$TOKEN" --verify --issuer https://id.example.com --audience api
  $ oauth status

Run "oauth <command> --help" for a command's options.

Exit codes: 0 ok · 1 internal bug · 2 usage or malformed input · 3 verification failed ·
            4 authentication required · 5 remote failure · 130 cancelled`;

export { DEFAULT_TIMEOUT_SECONDS };

export const COMMANDS: CommandSpec[] = [
  {
    name: 'demo',
    summary: 'see the whole tool work in one command, offline, against a local server',
    details: (command) =>
      command
        .option('--headless', 'a simulated user signs in over HTTP instead of a real browser (automatic without a TTY)')
        .addHelpText('after', examples(['oauth demo', 'oauth demo --headless'])),
    run: async (_args, options, ctx) => (await import('./demo.js')).run(options, ctx),
  },
  {
    name: 'login',
    summary: 'sign in: authorization code + PKCE in the browser, or --device; tokens go to the keychain',
    details: (command) =>
      loginOptions(
        command.description(
          'Sign in with the authorization code flow and PKCE through a loopback callback on 127.0.0.1 (RFC 8252), or with the\n' +
            'device flow (--device). The ID token is fully validated. Tokens are stored in the OS keychain (or a 0600 file when\n' +
            'there is none); the non-secret settings are saved as the profile, so later commands need no flags.',
        ),
      ).addHelpText(
        'after',
        examples(
          [
            'oauth login --issuer https://id.example.com --client-id my-cli',
            'oauth login --issuer https://id.example.com --client-id my-cli --scope "openid offline_access api:read"',
            'oauth login --device                     # SSH sessions, machines without a browser',
            'oauth login --profile staging --issuer https://id.staging.example.com --client-id my-cli',
            'BROWSER=firefox oauth login',
          ],
          'Exit codes: 0 signed in · 2 bad flags · 3 invalid ID token or callback · 4 denied or timed out · 5 server error · 130 cancelled',
        ),
      ),
    run: async (_args, options, ctx) => (await import('./login.js')).run(options, ctx),
  },
  {
    name: 'token',
    summary: 'print a fresh access token (refreshed when needed), or a service token with --client-credentials',
    details: (command) =>
      tokenOptions(command)
        .description(
          'Print an access token for the profile: from the store, refreshed first when it expires within --min-ttl (the rotated\n' +
            'refresh token is saved before the new token is printed; parallel runs never refresh twice; a refreshed ID token is\n' +
            'checked as at sign-in). The stored session is used only for its own issuer and client: --issuer or --client-id\n' +
            'naming another is "not signed in", and its tokens go only to the endpoints it was signed in with. A token that lives\n' +
            'less than twice --min-ttl is fresh for half its lifetime. With --client-credentials, a service token, cached until near expiry (until\n' +
            'revoked with oauth revoke). Output is raw on a pipe and a redacted summary on a terminal.',
        )
        .addHelpText(
          'after',
          examples(
            [
              'TOKEN=$(oauth token)',
              'curl -H "$(oauth token -o header)" https://api.example.com/orders',
              'TOKEN=$(OAUTH_CLIENT_SECRET=… oauth token --client-credentials --issuer https://id.example.com --client-id svc --scope api:read)',
              'oauth token --refresh --output json | jq .expires_in',
            ],
            'Exit codes: 0 ok · 2 bad flags, missing settings or a corrupt store · 3 refreshed ID token invalid · 4 not signed in\n            (for this issuer and client) or refresh rejected · 5 server error',
          ),
        ),
    run: async (_args, options, ctx) => tokenCommand.run(options, ctx),
  },
  {
    name: 'status',
    summary: 'show each profile: issuer, client, subject, scopes, expiry, where tokens are stored (redacted)',
    details: (command) =>
      command.addHelpText('after', examples(['oauth status', 'oauth status --profile staging --json'])),
    run: async (_args, _options, ctx) => (await import('./status.js')).run(ctx),
  },
  {
    name: 'logout',
    summary: "revoke the profile's tokens at the server, then delete them locally",
    details: (command) =>
      addClientOptions(command).addHelpText('after', examples(['oauth logout', 'oauth logout --profile staging'])),
    run: async (_args, options, ctx) => (await import('./logout.js')).run(options, ctx),
  },
  {
    name: 'decode',
    summary: 'show what is inside a JWT, and with --verify whether it is really valid',
    args: [['[token]', 'the token, or "-" to read tokens from stdin']],
    details: (command) =>
      command
        .description(
          'Decode a JWT (argument, or stdin with "-": one token per line) and show its header, claims, times and anything unusual.\n' +
            'With --verify, check the signature against keys from the configured source only (never from the token) and the claims.',
        )
        .option('--verify', 'verify the signature and claims')
        .option(
          '--issuer <url>',
          'expected "iss", exactly; alone it also finds the keys by discovery (env OAUTH_ISSUER, else the profile\'s; the output says which)',
        )
        .option(
          '--audience <aud>',
          'expected "aud" (repeatable: any one must match; env OAUTH_AUDIENCE, else the profile\'s)',
          collect,
        )
        .option('--jwks <url|file>', 'verify with this JSON Web Key Set')
        .option('--key <file>', 'verify with this PEM public key, certificate or JWK')
        .option('--secret-env <var>', 'HMAC secret from this environment variable (HS256/384/512 only)')
        .option('--secret-file <file>', 'HMAC secret from this file (a final newline is ignored)')
        .option(
          '--alg <alg>',
          'allowed algorithms (repeatable or comma-separated; default: what the keys support, never none)',
          collect,
        )
        .option(
          '--typ <typ>',
          'required "typ" header, e.g. at+jwt for RFC 9068 access tokens (then its required claims too)',
        )
        .option('--require-scope <scope>', 'scope the token must carry (repeatable)', collect)
        .option('--clock-skew <seconds>', 'tolerance for exp/nbf/iat (default 30; env OAUTH_CLOCK_SKEW)')
        .addHelpText(
          'after',
          examples(
            [
              'oauth decode "$TOKEN"',
              'oauth decode "$TOKEN" --verify --issuer https://id.example.com --audience https://api.example.com',
              'oauth decode "$TOKEN" --verify --jwks ./jwks.json --typ at+jwt --require-scope orders:read',
              'oauth decode "$TOKEN" --verify --secret-env HMAC_SECRET --alg HS256',
              'cat tokens.txt | oauth decode - --verify --issuer https://id.example.com --json',
            ],
            'Exit codes: 0 valid (or decoded) · 2 malformed input or bad flags · 3 invalid token (reason printed) ·\n            5 keys or discovery could not be fetched or used',
          ),
        ),
    run: async ([token], options, ctx) => decodeCommand.run(token, options, ctx),
  },
  {
    name: 'revoke',
    summary: "revoke a token (RFC 7009); without one, the profile's",
    args: [
      ['[token]', 'the token ("Bearer <token>" and an "Authorization:" line work too), or "-" to read it from stdin'],
    ],
    details: (command) =>
      tokenCommandOptions(command)
        .description(
          "Revoke a token at the server (RFC 7009). Without one, the profile's refresh token (or access token), and its local\n" +
            'tokens are deleted. A revoked token is dropped from the service-token cache and from the profile, so no later\n' +
            "command hands it out. A token given for the profile's client is revoked with the secret its sign-in stored.",
        )
        .addHelpText(
          'after',
          examples([
            'oauth revoke',
            'oauth revoke "$TOKEN"',
            'oauth revoke - --token-type-hint refresh_token < token.txt',
          ]),
        ),
    run: async ([token], options, ctx) => (await import('./revoke.js')).run(token, options, ctx),
  },
  {
    name: 'introspect',
    summary: 'ask the server whether a token is active (RFC 7662); exit 3 when it is not',
    args: [
      [
        '[token]',
        'the token ("Bearer <token>" and an "Authorization:" line work too), or "-" for stdin; default: the profile\'s access token',
      ],
    ],
    details: (command) =>
      tokenCommandOptions(command).addHelpText(
        'after',
        examples([
          'oauth introspect',
          'OAUTH_CLIENT_SECRET=… oauth introspect "$TOKEN" --client-id resource-server --json',
        ]),
      ),
    run: async ([token], options, ctx) => (await import('./introspect.js')).run(token, options, ctx),
  },
  {
    name: 'userinfo',
    summary: 'show the OpenID Connect UserInfo claims of the signed-in profile',
    details: (command) =>
      addClientOptions(command).addHelpText('after', examples(['oauth userinfo', 'oauth userinfo --json | jq .email'])),
    run: async (_args, options, ctx) => (await import('./userinfo.js')).run(options, ctx),
  },
  {
    name: 'discover',
    summary: "show an authorization server's metadata (OpenID Connect discovery, then RFC 8414)",
    args: [['[issuer]', "the issuer URL (default: the profile's)"]],
    details: (command) =>
      command
        .option('--issuer <url>', 'the issuer URL, as for every other command (env OAUTH_ISSUER)')
        .addHelpText(
          'after',
          examples([
            'oauth discover https://id.example.com',
            'oauth discover --issuer https://id.example.com',
            'oauth discover --json | jq .grant_types_supported',
          ]),
        ),
    run: async ([issuer], options, ctx) =>
      (await import('./discover.js')).run(issuer, options as { issuer?: string }, ctx),
  },
  {
    name: 'check',
    summary: "audit a client, its scopes, the server's metadata and keys (RFC 9700 and friends); --probe tests it live",
    auditedUrlFlags: ['redirectUri'],
    details: (command) =>
      command
        .description(
          "Audit redirect URIs, scopes and the client registration, the authorization server's metadata and JWKS, and access\n" +
            'tokens, against RFC 9700 (OAuth 2.0 Security BCP), RFC 8252, RFC 7636, RFC 9207, RFC 8414, RFC 6749 and RFC 8725.\n' +
            'With --probe it also sends authorization requests with near-miss redirect URIs and without PKCE, and a bogus code\n' +
            'to the token endpoint (it never signs in as anyone). Exit 3 when there is an error finding.',
        )
        .option('--issuer <url>', 'the authorization server to audit (env OAUTH_ISSUER)')
        .option('--client-id <id>', 'the client (env OAUTH_CLIENT_ID)')
        .option('--redirect-uri <uri>', 'a registered redirect URI (repeatable)', collect)
        .option('--scope <scopes>', 'the scopes the client asks for (env OAUTH_SCOPE)')
        .option('--grant-type <type>', 'a grant type the client uses (repeatable)', collect)
        .option('--response-type <type>', 'a response type the client uses (repeatable)', collect)
        .option('--auth-method <method>', 'token_endpoint_auth_method')
        .option('--public', 'the client is public (no secret)')
        .option('--confidential', 'the client is confidential')
        .option('--client-file <file>', 'a client registration as JSON (RFC 7591 shape)')
        .option(
          '--client-secret-file <file>',
          'the client secret, for the secret-length rule and the token-endpoint probe (or OAUTH_CLIENT_SECRET)',
        )
        .option('--token <jwt|->', 'an access token to audit ("-" reads stdin)')
        .option('--client-credentials', 'get a fresh access token with client credentials and audit it')
        .option('--private-key <file>', 'with --client-credentials: a JWK or PEM private key for private_key_jwt')
        .option('--max-token-lifetime <seconds>', 'longest acceptable access-token lifetime (default 3600)')
        .option('--probe', 'also test the server live (sends requests; never signs in)')
        .option('--fail-on <severity>', 'error (default) or warn: the lowest severity that fails the check')
        .addHelpText(
          'after',
          examples(
            [
              'oauth check --issuer https://id.example.com',
              'oauth check --issuer https://id.example.com --client-id my-cli --redirect-uri http://127.0.0.1/callback --public --probe',
              'oauth check --client-file registration.json --scope "openid orders:read"',
              'oauth check --token "$TOKEN" --max-token-lifetime 900 --json',
            ],
            'Exit codes: 0 no error findings · 3 error findings (or warnings with --fail-on warn) · 2 bad flags · 5 metadata unreachable',
          ),
        ),
    run: async (_args, options, ctx) => (await import('./check.js')).run(options, ctx),
  },
  {
    name: 'serve',
    summary: 'run a local OAuth 2.0 / OpenID Connect server on 127.0.0.1 (oidc-provider) until Ctrl-C',
    details: (command) =>
      command
        .description(
          'A local authorization server for trying everything offline and for testing an API: development login and consent\n' +
            'pages (any username), a public CLI client, a confidential client and a client-credentials service client,\n' +
            'JWT access tokens (RFC 9068) for the audience, refresh-token rotation, the device flow, introspection, revocation and\n' +
            'userinfo (which take only opaque access tokens: --opaque-tokens).\n' +
            'Signing keys and client secrets are kept in the state directory, so tokens stay verifiable across restarts.',
        )
        .option('--port <port>', 'port on 127.0.0.1 (default 9400; 0 for a random free port)')
        .option('--audience <uri>', 'the API audience of access tokens (default http://127.0.0.1/api)')
        .option('--access-token-ttl <seconds>', 'access token lifetime (default 900)')
        .option('--refresh-token-ttl <seconds>', 'refresh token lifetime (default 1209600)')
        .option('--alg <alg>', 'signing algorithm: RS256 (default), PS256, ES256, EdDSA')
        .option('--ephemeral', 'throwaway keys and secrets, nothing saved')
        .option(
          '--opaque-tokens',
          'opaque access tokens (for userinfo, introspection, revocation) unless a client asks for the audience as its resource',
        )
        .addHelpText(
          'after',
          examples(
            [
              'oauth serve',
              'oauth serve --audience https://api.example.test --access-token-ttl 60 --alg ES256',
              'exec 3< <(oauth serve --port 0 --json); server=$!; read -r info <&3   # in a bash script; kill -INT $server to stop',
            ],
            'With --json the first stdout line, printed once it listens, is {"issuer", "audience", "access_tokens", "jwks_uri", "discovery", "keys", "clients": [{"client_id", "client_secret"?, "grant_types", "redirect_uris", …}]}.\n' +
              'It runs until stopped: read that line, do not wait for the output to end.',
          ),
        ),
    run: async (_args, options, ctx) => (await import('./serve.js')).run(options, ctx),
  },
  {
    name: 'mint',
    summary:
      "sign test tokens with the local server's keys: valid, or broken in exactly one way (--suite: all of them)",
    details: (command) =>
      command
        .option('--issuer <url>', "iss (default http://127.0.0.1:9400, the local server's)")
        .option('--sub <subject>', 'sub (default test-user)')
        .option('--aud <audience>', 'aud (default http://127.0.0.1/api)')
        .option('--scope <scopes>', 'scope (default api:read)')
        .option('--client-id <id>', 'client_id claim (default oauth-cli)')
        .option('--ttl <seconds>', 'lifetime (default 900)')
        .option('--claim <k=v>', 'extra claim (repeatable; the value is JSON when it parses)', collect)
        .option('--typ <typ>', 'typ header (default at+jwt)')
        .option(
          '--alg <alg>',
          'RS256, PS256, ES256, EdDSA (default: the one oauth serve last started with) — or none for an unsigned token',
        )
        .option('--expired', 'exp in the past')
        .option('--not-yet-valid', 'nbf in the future')
        .option('--issued-in-future', 'iat in the future')
        .option('--wrong-issuer', 'iss of another issuer')
        .option('--wrong-audience', 'aud of another API')
        .option('--wrong-typ', 'typ JWT instead of at+jwt')
        .option('--bad-signature', 'a signature that does not match')
        .option('--unknown-kid', 'signed by an unpublished key under an unknown kid')
        .option('--missing-claim <name>', 'leave out one claim')
        .option('--hs256-with-public-key', 'HS256 with the public key as the secret (algorithm confusion)')
        .option('--suite', 'every variant, as JSON lines {name, token, expect, reason, error_code?}')
        .addHelpText(
          'after',
          examples([
            'oauth mint                                  # a valid access token for the local server',
            'curl -H "Authorization: Bearer $(oauth mint --expired)" http://localhost:8080/orders   # must be 401',
            "oauth mint --suite > tokens.jsonl            # for your API's test suite",
            'oauth mint --alg none',
          ]),
        ),
    run: async (_args, options, ctx) => (await import('./mint.js')).run(options, ctx),
  },
];
