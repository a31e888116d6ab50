// `oauth status`: each profile, its sign-in state and where its tokens live — all redacted.
import type { Context } from './context.js';
import { envSetting } from '../settings/config.js';
import { Exit } from '../errors.js';
import { relative } from '../jwt/time.js';
import { configFile } from '../settings/paths.js';
import { loginCommand, parseSession, profileWhere, sessionKey } from '../oauth/session.js';
import { authorizationDetailsLine, sessionSummary } from './format/session.js';
import { defineCommand } from './define.js';
import { store } from './shared/store.js';

export const command = defineCommand({
  name: 'status',
  examples: ['oauth status', 'oauth status --profile staging --json'],
  run: (_args, _flags, ctx) => run(ctx),
});

export async function run(ctx: Context): Promise<number> {
  const config = ctx.config();
  const explicit = ctx.options.profile?.trim() || envSetting(ctx.io.env, 'OAUTH_PROFILE');
  const tokens = await store(ctx);
  const names = explicit ? [explicit] : Object.keys(config.profiles).sort();
  // Tokens can exist without a saved profile (the config was deleted, or could not be written): show them too.
  if (!explicit && !names.includes('default') && (await tokens.get(sessionKey('default'))) !== undefined)
    names.unshift('default');
  const nowSeconds = ctx.now() / 1000;
  const profiles = [];
  for (const name of names) {
    const settings = config.profiles[name] ?? {};
    const session = parseSession(await tokens.get(sessionKey(name)), profileWhere(name, tokens));
    profiles.push({
      profile: name,
      // The session's own issuer and client: the profile's settings may have changed since it was signed in.
      issuer: session?.issuer ?? settings.issuer ?? null,
      client_id: session?.client_id ?? settings.client_id ?? null,
      signed_in: session !== undefined,
      ...(session ? { session: sessionSummary(session, nowSeconds) } : {}),
    });
  }
  if (ctx.out.json) {
    ctx.out.jsonResult({ store: tokens.describe(), config: configFile(ctx.io.env), profiles });
    return Exit.ok;
  }
  const style = ctx.out.style;
  if (profiles.length === 0) {
    // Service tokens (oauth token --client-credentials) are cached apart from profiles: none being listed is no claim
    // that the store is empty.
    ctx.out.result([
      'No profiles yet. Sign in with: oauth login --issuer <url> --client-id <id>',
      `Tokens are stored in ${tokens.describe()} (service tokens from oauth token --client-credentials are cached there too, apart from profiles).`,
    ]);
    return Exit.ok;
  }
  const lines: string[] = [];
  for (const entry of profiles) {
    const session = entry.session;
    lines.push(`${style.bold(entry.profile)}  ${entry.issuer ?? '(no issuer)'}  client ${entry.client_id ?? '(none)'}`);
    if (!session) {
      lines.push(`  ${style.yellow('not signed in')} — ${loginCommand(entry.profile)}`);
      continue;
    }
    const expired = session.expires_in !== null && session.expires_in <= 0;
    const expiry =
      session.expires_in === null
        ? 'unknown expiry'
        : expired
          ? `expired ${relative(nowSeconds + session.expires_in, nowSeconds)}`
          : `expires ${relative(nowSeconds + session.expires_in, nowSeconds)}`;
    lines.push(
      `  ${expired ? style.yellow('✓ signed in') : style.green('✓ signed in')}${session.subject ? ` as ${JSON.stringify(session.subject)}` : ''}; access token ${session.access_token}${session.token_type === 'DPoP' ? ' (DPoP-bound)' : ''}${session.cert_thumbprint ? ` (certificate-bound, x5t#S256 ${session.cert_thumbprint})` : ''}, ${expiry}`,
    );
    lines.push(
      `  scope ${session.scope.granted.join(' ') || '(none)'}; refresh token ${session.refresh_token ? 'yes' : 'no'}`,
    );
    if (session.authorization_details)
      lines.push(`  authorization details ${authorizationDetailsLine(session.authorization_details)}`);
  }
  lines.push('', `Tokens are stored in ${tokens.describe()}; settings in ${configFile(ctx.io.env)}.`);
  ctx.out.result(lines);
  return Exit.ok;
}
