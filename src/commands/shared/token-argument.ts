// The token a command is given, as a user pastes it, and what kind of token the user says it is.
import { CliError } from '../../errors.js';
import { cleanTokenInput } from '../../jwt/decode.js';
import { readTokens } from '../../term/input.js';
import type { Context } from '../context.js';

/**
 * A token as a user pastes it, for every command that takes one: the token itself, "Bearer <token>", an
 * "Authorization: Bearer <token>" header line, or "-" for the first token on stdin (the same forms decode reads).
 */
export async function tokenArgument(ctx: Context, argument: string | undefined): Promise<string | undefined> {
  if (argument === undefined) return undefined;
  let text: string | undefined = argument;
  if (argument === '-') {
    text = undefined;
    for await (const { token } of readTokens(ctx.io.stdin, 1024 * 1024)) {
      // The one reader of stdin in this run (stdin-readers.ts), so stopping at the first token takes nothing from another.
      text = token;
      break;
    }
    if (text === undefined) throw new CliError('USAGE', 'No token on stdin.');
  }
  const token = cleanTokenInput(text);
  // "Bearer" alone, with its token missing, is no token either.
  if (!token || /^(?:authorization:\s*)?(?:bearer|dpop)$/i.test(token))
    throw new CliError('USAGE', 'The token given is empty.', {
      hint: 'Pass the token itself, "Bearer <token>", or "-" to read it from stdin.',
    });
  ctx.knownSecrets.add(token);
  return token;
}

/** --token-type-hint: RFC 7009 and RFC 7662 know these two. */
export function typeHint(value: string | undefined): 'access_token' | 'refresh_token' | undefined {
  if (value === undefined) return undefined;
  if (value === 'access_token' || value === 'refresh_token') return value;
  throw new CliError('USAGE', `--token-type-hint must be access_token or refresh_token, not "${value}".`);
}
