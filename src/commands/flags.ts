// The flags shared by the commands that talk to an authorization server. Definitions only: building the program
// (and --help) must not load what the commands need to run.
import type { Command } from 'commander';

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function addServerOptions(command: Command): Command {
  return command
    .option('--issuer <url>', 'authorization server (discovery); env OAUTH_ISSUER')
    .option('--authorization-endpoint <url>', 'for servers without discovery')
    .option('--token-endpoint <url>', 'for servers without discovery (skips discovery)')
    .option('--device-authorization-endpoint <url>', 'for servers without discovery')
    .option('--revocation-endpoint <url>', 'for servers without discovery')
    .option('--introspection-endpoint <url>', 'for servers without discovery')
    .option('--userinfo-endpoint <url>', 'for servers without discovery')
    .option('--jwks-uri <url>', 'for servers without discovery');
}

export function addClientOptions(command: Command): Command {
  return addServerOptions(command)
    .option('--client-id <id>', 'OAuth client id; env OAUTH_CLIENT_ID')
    .option('--client-secret-file <file>', 'read the client secret from a file')
    .option('--client-secret-stdin', 'read the client secret from stdin')
    .option('--client-secret <secret>', 'the client secret (visible to other processes: prefer OAUTH_CLIENT_SECRET)')
    .option('--auth-method <method>', 'none | client_secret_basic | client_secret_post | private_key_jwt')
    .option('--private-key <file>', 'JWK or PEM private key for private_key_jwt');
}

export function addRequestOptions(command: Command): Command {
  return command
    .option('--scope <scopes>', 'space-separated scopes; env OAUTH_SCOPE')
    .option('--resource <uri>', 'RFC 8707 resource indicator (repeatable)', collect)
    .option('--audience <aud>', 'audience parameter, for servers that use one (repeatable)', collect)
    .option('--param <k=v>', 'extra request parameter (repeatable)', collect);
}
