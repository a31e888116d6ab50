// The client secret of a run: secrets never need argv (stdin, a file, OAUTH_CLIENT_SECRET), and the one on argv is
// said to be visible.
import { CliError } from '../../errors.js';
import { envSetting } from '../../settings/config.js';
import { readUserFile } from '../../settings/user-file.js';
import { readFirstLine } from '../../term/input.js';
import type { Context } from '../context.js';
import type { ClientFlags } from './client-flags.js';
import { askSecret, canPrompt } from './prompt.js';

/** The client secret from stdin, a file, the flag (with a warning) or OAUTH_CLIENT_SECRET; registered for redaction. */
export async function clientSecret(ctx: Context, flags: ClientFlags, stored?: string): Promise<string | undefined> {
  let secret: string | undefined;
  if (flags.clientSecretStdin) {
    if (ctx.io.stdinIsTTY && !canPrompt(ctx))
      throw new CliError('USAGE', '--client-secret-stdin needs the secret piped in.');
    if (ctx.io.stdinIsTTY) {
      secret = await askSecret(ctx, 'Client secret:');
    } else {
      secret = (await readFirstLine(ctx.io.stdin, 64 * 1024))?.trim();
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
