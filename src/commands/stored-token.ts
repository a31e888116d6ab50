// The token a command works on: the argument, stdin with "-", or the signed-in profile's.
import type { Context } from '../context.js';
import { CliError } from '../errors.js';
import { readTokens } from '../input.js';
import { parseSession, sessionKey, type Session } from '../session.js';
import type { SecretStore } from '../store/store.js';

export async function tokenArgument(ctx: Context, argument: string | undefined): Promise<string | undefined> {
  if (argument === undefined) return undefined;
  if (argument !== '-') return argument.trim();
  for await (const { token } of readTokens(ctx.io.stdin, 1024 * 1024)) return token;
  throw new CliError('USAGE', 'No token on stdin.');
}

export async function storedSession(ctx: Context, tokens: SecretStore): Promise<Session> {
  const session = parseSession(await tokens.get(sessionKey(ctx.profileName)), `profile "${ctx.profileName}"`);
  if (!session) {
    throw new CliError('NOT_LOGGED_IN', `Not signed in${ctx.profileName === 'default' ? '' : ` with profile "${ctx.profileName}"`}, and no token was given.`, {
      hint: `Pass a token, or run: oauth login${ctx.profileName === 'default' ? '' : ` --profile ${ctx.profileName}`}`,
    });
  }
  rememberSecrets(ctx, session);
  return session;
}

/** Every secret a session holds, so traces and messages redact it wherever it appears. */
export function rememberSecrets(ctx: Context, session: Session): void {
  for (const secret of [session.access_token, session.refresh_token, session.id_token, session.client_secret]) if (secret) ctx.knownSecrets.add(secret);
}
