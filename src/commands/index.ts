// The registry: every command's name, the arguments and summary `oauth --help` shows, and how to load the rest of its
// definition. Only the command being run is loaded: `oauth --help` loads none.
import type { CommandDefinition } from './define.js';
import type { CommandName } from './names.js';

export interface CommandEntry {
  readonly name: CommandName;
  /** The arguments as `oauth --help` shows them after the name: "[token]". */
  readonly args?: readonly string[];
  readonly summary: string;
  load(): Promise<CommandDefinition>;
}

export const PROGRAM = {
  name: 'oauth',
  description:
    'Debug OAuth 2.0 and OpenID Connect from the terminal: decode and verify tokens, sign in, audit configurations.',
  help: `
Examples:
  $ oauth demo                                                         see everything work, offline
  $ oauth login --issuer https://id.example.com --client-id my-cli    sign in (browser, PKCE)
  $ TOKEN=$(oauth token)                                               a fresh access token
  $ oauth curl https://api.example.com/orders                          call an API with it (signs in if the API asks)
  $ oauth token --client-credentials --client-id svc --scope api:read  a service token (secret from OAUTH_CLIENT_SECRET)
  $ oauth decode "$TOKEN" --verify --issuer https://id.example.com --audience api
  $ oauth status

Run "oauth <command> --help" for a command's options.

Exit codes: 0 ok · 1 internal bug · 2 usage or malformed input · 3 verification or check failed ·
            4 authentication required · 5 remote failure · 130 cancelled`,
};

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'demo',
    summary: 'see the whole tool work in one command, offline, against a local server',
    load: async () => (await import('./demo.js')).command,
  },
  {
    name: 'login',
    summary: 'sign in: authorization code + PKCE in the browser, or --device; tokens go to the keychain',
    load: async () => (await import('./login.js')).command,
  },
  {
    name: 'register',
    summary: 'register a client at the server (RFC 7591) into the profile; --show, --delete manage it (RFC 7592)',
    load: async () => (await import('./register.js')).command,
  },
  {
    name: 'token',
    summary: 'print a fresh access token (refreshed when needed), or a service token with --client-credentials',
    load: async () => (await import('./token.js')).command,
  },
  {
    name: 'status',
    summary: 'show each profile: issuer, client, subject, scopes, expiry, where tokens are stored (redacted)',
    load: async () => (await import('./status.js')).command,
  },
  {
    name: 'logout',
    summary: "revoke the profile's tokens at the server, then delete them locally",
    load: async () => (await import('./logout.js')).command,
  },
  {
    name: 'decode',
    args: ['[token]'],
    summary: 'show what is inside a JWT, and with --verify whether it is really valid',
    load: async () => (await import('./decode.js')).command,
  },
  {
    name: 'revoke',
    args: ['[token]'],
    summary: "revoke a token (RFC 7009); without one, the profile's",
    load: async () => (await import('./revoke.js')).command,
  },
  {
    name: 'introspect',
    args: ['[token]'],
    summary: 'ask the server whether a token is active (RFC 7662); exit 3 when it is not',
    load: async () => (await import('./introspect.js')).command,
  },
  {
    name: 'userinfo',
    summary: 'show the OpenID Connect UserInfo claims of the signed-in profile',
    load: async () => (await import('./userinfo.js')).command,
  },
  {
    name: 'curl',
    args: ['<url>'],
    summary: "call an API with the profile's token; signs in for it when it asks (RFC 9728), exit 3 on 401/403",
    load: async () => (await import('./curl.js')).command,
  },
  {
    name: 'discover',
    args: ['[issuer]'],
    summary: "show an authorization server's metadata (OpenID Connect discovery, then RFC 8414)",
    load: async () => (await import('./discover.js')).command,
  },
  {
    name: 'check',
    summary: "audit a client, its scopes, the server's metadata and keys (RFC 9700 and friends); --probe tests it live",
    load: async () => (await import('./check.js')).command,
  },
  {
    name: 'serve',
    summary: 'run a local OAuth 2.0 / OpenID Connect server on 127.0.0.1 (oidc-provider) until Ctrl-C',
    load: async () => (await import('./serve.js')).command,
  },
  {
    name: 'mint',
    summary:
      "sign test tokens with the local server's keys: valid, or broken in exactly one way (--suite: all of them)",
    load: async () => (await import('./mint.js')).command,
  },
];

export const findCommand = (name: string | undefined): CommandEntry | undefined =>
  COMMANDS.find((entry) => entry.name === name);
