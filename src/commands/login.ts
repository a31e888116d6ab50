// `oauth login`: the sign-in flow (src/oauth/sign-in.ts) with this run's settings, browser, store and terminal
// (shared/sign-in.ts); the non-secret settings saved as the profile.
import type { Context } from './context.js';
import { Exit } from '../errors.js';
import { defineCommand, flag, type FlagValues, option } from './define.js';
import {
  AUTHORIZATION_DETAILS_FLAGS,
  AUTHORIZATION_REQUEST_FLAGS,
  CLIENT_FLAGS,
  REQUEST_FLAGS,
  SIGN_IN_FLAGS,
} from './shared/client-flags.js';
import { printSessionSummary } from './format/session.js';
import { signInProfile } from './shared/sign-in.js';

const FLAGS = {
  ...CLIENT_FLAGS,
  ...REQUEST_FLAGS,
  ...AUTHORIZATION_DETAILS_FLAGS,
  ...AUTHORIZATION_REQUEST_FLAGS,
  device: flag('--device', 'use the device flow (for SSH sessions and machines without a browser)'),
  port: option('--port <port>', 'port for the loopback callback (default: a random free port)'),
  redirectUri: option('--redirect-uri <uri>', 'exact loopback redirect URI, e.g. http://127.0.0.1:8400/callback'),
  browser: flag('--no-browser', 'only print the URL to open'),
  register: flag(
    '--register',
    'without a client id: register a public client first (RFC 7591), when the server has a registration endpoint',
  ),
  ...SIGN_IN_FLAGS,
};

export type LoginFlags = FlagValues<typeof FLAGS>;

export const command = defineCommand({
  name: 'login',
  description:
    'Sign in with the authorization code flow and PKCE through a loopback callback on 127.0.0.1 (RFC 8252), or with the ' +
    'device flow (--device). The ID token is fully validated. Tokens are stored in the OS keychain (or a 0600 file when ' +
    'there is none); the non-secret settings are saved as the profile, so later commands need no flags.',
  flags: FLAGS,
  examples: [
    'oauth login --issuer https://id.example.com --client-id my-cli',
    'oauth login --issuer https://id.example.com --client-id my-cli --scope "openid offline_access api:read"',
    'oauth login --device                     # SSH sessions, machines without a browser',
    'oauth login --issuer https://mcp.example.com --register   # no client yet: register one, then sign in',
    'oauth login --profile staging --issuer https://id.staging.example.com --client-id my-cli',
    'BROWSER=firefox oauth login',
    'oauth login --par --request-object --private-key client.jwk --response-mode jwt   # FAPI-style',
    'oauth login --authorization-details \'[{"type":"payment_initiation","actions":["initiate"]}]\'',
  ],
  exits:
    'Exit codes: 0 signed in · 2 bad flags (or --par at a server without PAR) · 3 invalid ID token, callback or JARM response\n            · 4 denied or timed out · 5 server error (a malformed PAR answer too) · 130 cancelled',
  run: (_args, flags, ctx) => run(flags, ctx),
});

async function run(flags: LoginFlags, ctx: Context): Promise<number> {
  const { session, storedIn } = await signInProfile(ctx, flags);
  printSessionSummary(ctx, session, { profile: ctx.profileName, store: storedIn, heading: 'Signed in' });
  return Exit.ok;
}
