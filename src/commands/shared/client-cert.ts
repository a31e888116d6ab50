// The run's client certificate for mutual TLS, from its settings; the key's passphrase never comes from argv.
import { CliError } from '../../errors.js';
import { type ClientCertificate, loadClientCertificate } from '../../net/client-cert.js';
import { envSetting } from '../../settings/config.js';
import type { SettingFlags } from '../../settings/settings.js';
import { readFirstLine } from '../../term/input.js';
import type { Context } from '../context.js';
import { askSecret, canPrompt } from './prompt.js';

export async function readClientCertificate(ctx: Context, flags: SettingFlags): Promise<ClientCertificate | undefined> {
  const cert = ctx.settings.get('cert');
  const key = ctx.settings.get('key');
  if (!cert && !key) return undefined;
  if (cert === undefined || key === undefined) {
    const origin = cert?.origin ?? key?.origin;
    throw new CliError('USAGE', `${origin} needs ${cert ? '--key (or OAUTH_KEY)' : '--cert (or OAUTH_CERT)'} too.`, {
      hint: 'Mutual TLS takes the certificate and its private key, each a PEM file.',
    });
  }
  const passphrase = await keyPassphrase(ctx, flags.keyPassphraseStdin === true);
  return loadClientCertificate({ cert, key, passphrase });
}

async function keyPassphrase(ctx: Context, stdin: boolean): Promise<{ value: string; origin: string } | undefined> {
  if (stdin) {
    let value: string | undefined;
    if (ctx.io.stdinIsTTY && !canPrompt(ctx))
      throw new CliError('USAGE', '--key-passphrase-stdin needs the passphrase piped in.');
    if (ctx.io.stdinIsTTY) value = await askSecret(ctx, 'Key passphrase:');
    else value = await readFirstLine(ctx.io.stdin, 64 * 1024);
    if (!value) throw new CliError('USAGE', '--key-passphrase-stdin was given but stdin had no passphrase.');
    ctx.knownSecrets.add(value);
    return { value, origin: '--key-passphrase-stdin' };
  }
  const value = envSetting(ctx.io.env, 'OAUTH_KEY_PASSPHRASE');
  if (!value) return undefined;
  ctx.knownSecrets.add(value);
  return { value, origin: 'OAUTH_KEY_PASSPHRASE' };
}
