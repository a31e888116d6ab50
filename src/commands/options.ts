// The flags of the commands that talk to an authorization server, kept apart from their implementations so that
// building the program (and `--help`) loads no protocol code.
import type { Command } from 'commander';
import { addClientOptions, addRequestOptions, addServerOptions } from './flags.js';

export const DEFAULT_LOGIN_TIMEOUT_SECONDS = 300;
export const DEFAULT_MIN_TTL_SECONDS = 60;
export const OUTPUTS = ['raw', 'json', 'header', 'human'] as const;
export type TokenOutput = (typeof OUTPUTS)[number];

export function loginOptions(command: Command): Command {
  return addRequestOptions(addClientOptions(command))
    .option('--device', 'use the device flow (for SSH sessions and machines without a browser)')
    .option('--port <port>', 'port for the loopback callback (default: a random free port)')
    .option('--redirect-uri <uri>', 'exact loopback redirect URI, e.g. http://127.0.0.1:8400/callback')
    .option('--no-browser', 'only print the URL to open')
    .option('--login-timeout <seconds>', `how long to wait for the sign-in (default ${DEFAULT_LOGIN_TIMEOUT_SECONDS})`);
}

export function tokenOptions(command: Command): Command {
  return addRequestOptions(addClientOptions(command))
    .option('--client-credentials', 'get a service token with the client credentials grant')
    .option('--refresh', 'refresh now, even if the stored access token is still fresh')
    .option('--min-ttl <seconds>', `refresh when the token expires within this (default ${DEFAULT_MIN_TTL_SECONDS})`)
    .option('-o, --output <format>', 'raw | json | header | human (default: human on a terminal, raw otherwise)')
    .option('--no-cache', 'with --client-credentials: always ask the server, store nothing');
}

export function tokenCommandOptions(command: Command): Command {
  return addClientOptions(command).option('--token-type-hint <hint>', 'access_token or refresh_token');
}

export { addClientOptions, addServerOptions };
