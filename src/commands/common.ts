// Flags and settings shared by the commands that talk to an authorization server: which server, which client, how it
// authenticates, what it asks for. Resolution is flag > OAUTH_* > profile > default, and secrets never need argv.
import type { Context } from './context.js';
import { envSetting } from '../settings/config.js';
import { CliError } from '../errors.js';
import { readLines } from '../term/input.js';
import { stateDir } from '../settings/paths.js';
import { openStore } from '../store/open.js';
import type { SecretStore } from '../store/store.js';
import { readUserFile } from '../settings/user-file.js';

export interface ServerFlags {
  issuer?: string;
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  deviceAuthorizationEndpoint?: string;
  revocationEndpoint?: string;
  introspectionEndpoint?: string;
  userinfoEndpoint?: string;
  jwksUri?: string;
}

export interface ClientFlags extends ServerFlags {
  clientId?: string;
  clientSecret?: string;
  clientSecretFile?: string;
  clientSecretStdin?: boolean;
  authMethod?: string;
  privateKey?: string;
}

export interface RequestFlags {
  scope?: string;
  resource?: string[];
  audience?: string[];
  param?: string[];
}

export function canPrompt(ctx: Context): boolean {
  return ctx.io.terminal !== undefined && ctx.io.stdinIsTTY && ctx.io.stdoutIsTTY && !ctx.io.env.CI;
}

/** Where @inquirer/prompts draws: stderr, so stdout stays the result. */
function promptContext(ctx: Context) {
  return { input: ctx.io.terminal!.input, output: ctx.io.terminal!.output, signal: ctx.io.signal };
}

/** A required setting: from flag/env/profile, else asked for on a terminal, else a usage error naming both ways. */
export async function requireSetting(
  ctx: Context,
  name: string,
  flag: string | undefined,
  label: string,
): Promise<string> {
  const value = ctx.setting(name, flag);
  if (value) return value;
  const flagName = `--${name.replace(/_/g, '-')}`;
  const envName = `OAUTH_${name.toUpperCase()}`;
  if (canPrompt(ctx)) {
    const { input } = await import('@inquirer/prompts');
    const answer = (await input({ message: `${label}:`, required: true }, promptContext(ctx))).trim();
    if (answer) return answer;
  }
  throw new CliError('MISSING_SETTING', `No ${label.charAt(0).toLowerCase()}${label.slice(1)} given.`, {
    hint: `Pass ${flagName} or set ${envName}${name === 'issuer' || name === 'client_id' ? ' (or sign in once with "oauth login" to save a profile)' : ''}.`,
  });
}

/** The client secret from stdin, a file, the flag (with a warning) or OAUTH_CLIENT_SECRET; registered for redaction. */
export async function clientSecret(ctx: Context, flags: ClientFlags, stored?: string): Promise<string | undefined> {
  let secret: string | undefined;
  if (flags.clientSecretStdin) {
    if (ctx.io.stdinIsTTY && !canPrompt(ctx))
      throw new CliError('USAGE', '--client-secret-stdin needs the secret piped in.');
    if (ctx.io.stdinIsTTY) {
      const { password } = await import('@inquirer/prompts');
      secret = await password({ message: 'Client secret:', mask: true }, promptContext(ctx));
    } else {
      for await (const { line } of readLines(ctx.io.stdin, 64 * 1024)) {
        secret = line.trim();
        break;
      }
    }
    if (!secret) throw new CliError('USAGE', '--client-secret-stdin was given but stdin had no secret.');
  } else if (flags.clientSecretFile) {
    // Editors add a final newline and some a byte-order mark; neither is ever part of a secret.
    secret = readUserFile(flags.clientSecretFile, '--client-secret-file')
      .toString('utf8')
      .replace(/^\ufeff/, '')
      .replace(/[\r\n]+$/, '');
    if (secret === '') {
      throw new CliError('USAGE', `--client-secret-file ${flags.clientSecretFile} is empty.`, {
        hint: 'Put the client secret in that file (one line), or use OAUTH_CLIENT_SECRET.',
      });
    }
  } else if (flags.clientSecret) {
    secret = flags.clientSecret;
    ctx.out.warn(
      '--client-secret puts the secret where other processes can read it (ps, shell history); prefer OAUTH_CLIENT_SECRET or --client-secret-file.',
    );
  } else {
    secret = envSetting(ctx.io.env, 'OAUTH_CLIENT_SECRET') ?? stored;
  }
  if (secret) ctx.knownSecrets.add(secret);
  return secret || undefined;
}

export function requestParameters(
  ctx: Context,
  flags: RequestFlags,
): { scope: string | undefined; parameters: Record<string, string[]>; resource: string[]; audience: string[] } {
  const resource = flags.resource ?? splitList(ctx.setting('resource', undefined));
  const audience = flags.audience ?? splitList(ctx.setting('audience', undefined));
  const parameters: Record<string, string[]> = {};
  for (const pair of flags.param ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new CliError('USAGE', `--param needs name=value, not "${pair}".`);
    (parameters[pair.slice(0, at)] ??= []).push(pair.slice(at + 1));
  }
  if (resource.length) parameters.resource = resource;
  if (audience.length) parameters.audience = audience;
  return { scope: ctx.setting('scope', flags.scope), parameters, resource, audience };
}

function splitList(value: string | undefined): string[] {
  return value ? value.split(/[\s,]+/).filter(Boolean) : [];
}

/** The token store, opened once per command. */
/**
 * The token store. Whatever is read from it is registered as a secret the moment it is read: a session's tokens and
 * client secret are then redacted from everything printed, whichever command read them (status shows scopes a server
 * chose, and a server may put a refresh token there).
 */
export async function store(ctx: Context): Promise<SecretStore> {
  const opened = await openStore({
    env: ctx.io.env,
    stateDir: stateDir(ctx.io.env),
    warn: (message) => ctx.out.warn(message),
  });
  return {
    kind: opened.kind,
    describe: () => opened.describe(),
    get: async (key) => {
      const value = await opened.get(key);
      if (value !== undefined) registerStoredSecrets(ctx, value);
      return value;
    },
    set: (key, value) => opened.set(key, withoutRunSecrets(ctx, value)),
    delete: (key) => opened.delete(key),
  };
}

/**
 * For commands that print what a server says without using a stored session (discover, check): the profile's session
 * secrets are registered all the same, since the server that issued them can echo them anywhere.
 */
export async function rememberProfileSecrets(ctx: Context): Promise<void> {
  const { sessionKey } = await import('../oauth/session.js');
  await (await store(ctx)).get(sessionKey(ctx.profileName)).catch(() => undefined);
}

/**
 * What a session keeps for display (the granted scope, the subject) is the server's text, and a hostile server puts
 * there what it received: the code, the PKCE verifier, a client assertion. Those are gone after this run, so no later
 * run could redact them; they are redacted here, before they are stored.
 */
function withoutRunSecrets(ctx: Context, value: string): string {
  let entry: unknown;
  try {
    entry = JSON.parse(value);
  } catch {
    return value;
  }
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return value;
  const record = entry as Record<string, unknown>;
  let changed = false;
  for (const field of ['scope', 'requested_scope', 'subject']) {
    const text = record[field];
    if (typeof text !== 'string') continue;
    const redacted = ctx.knownSecrets.redact(text);
    if (redacted !== text) {
      // Stubs without spaces: a scope is a list of space-separated names, and "(32 chars)" would read as two of them.
      record[field] = redacted
        .replace(/ \((\d+) chars\)/g, '($1-chars)')
        .replace(/\[redacted, (\d+) chars\]/g, '[redacted-$1-chars]');
      changed = true;
    }
  }
  return changed ? JSON.stringify(record) : value;
}

function registerStoredSecrets(ctx: Context, value: string): void {
  try {
    ctx.knownSecrets.addFromJson(JSON.parse(value));
  } catch {
    // Not JSON: the session parser reports the store as corrupt.
  }
}
