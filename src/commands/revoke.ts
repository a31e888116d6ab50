// `oauth revoke [token]`: RFC 7009. Without a token, the profile's refresh token (or access token) is revoked and the
// local tokens are forgotten, since they no longer work. A revoked token is dropped from every local cache.
import type { Context } from './context.js';
import { Exit } from '../errors.js';
import { revoke } from '../oauth/grants.js';
import { stub } from '../redact.js';
import { forgetRevokedToken, sessionKey } from '../oauth/session.js';
import { argument, defineCommand } from './define.js';
import { connect, connectForSession } from './shared/connect.js';
import { TOKEN_COMMAND_FLAGS, type TokenCommandFlags } from './shared/client-flags.js';
import { knownProfiles, withProfileLock } from './shared/fresh-session.js';
import { sessionLock } from './shared/lock-wait.js';
import { store } from './shared/store.js';
import { sessionIfOwned, storedSession } from './shared/stored-session.js';
import { tokenArgument, typeHint } from './shared/token-argument.js';

export const command = defineCommand({
  name: 'revoke',
  description:
    "Revoke a token at the server (RFC 7009). Without one, the profile's refresh token (or access token), and its local " +
    'tokens are deleted. A revoked token is dropped from the service-token cache and from the profile, so no later ' +
    "command hands it out. A token given for the profile's client is revoked with the secret its sign-in stored.",
  args: {
    token: argument(
      '[token]',
      'the token ("Bearer <token>" and an "Authorization:" line work too), or "-" to read it from stdin',
    ),
  },
  flags: TOKEN_COMMAND_FLAGS,
  examples: ['oauth revoke', 'oauth revoke "$TOKEN"', 'oauth revoke - --token-type-hint refresh_token < token.txt'],
  run: ({ token }, flags, ctx) => run(token, flags, ctx),
});

export async function run(argument: string | undefined, flags: TokenCommandFlags, ctx: Context): Promise<number> {
  const hint = typeHint(flags.tokenTypeHint);
  const given = await tokenArgument(ctx, argument);
  const tokens = await store(ctx);
  let revoked: { token: string; kind: 'access_token' | 'refresh_token' | undefined; issuer: string; dropped: string[] };
  if (given) {
    // A token given to a profile's client is revoked with what the sign-in stored for it (a confidential client's secret).
    const connection = await connect(ctx, flags, { session: await sessionIfOwned(ctx, tokens) });
    await revoke(connection.protocol, given, hint);
    // Wherever it is kept, it goes: every profile's session and the service-token cache.
    revoked = {
      token: given,
      kind: hint,
      issuer: connection.as.issuer,
      dropped: await forgetRevokedToken(tokens, knownProfiles(ctx), given, sessionLock(ctx)),
    };
  } else {
    // The profile's own tokens, under its session lock: a refresh in flight cannot save them back after this.
    revoked = await withProfileLock(ctx, ctx.profileName, async () => {
      const session = await storedSession(ctx, tokens);
      const token = session.refresh_token ?? session.access_token;
      const kind = session.refresh_token ? 'refresh_token' : 'access_token';
      const connection = await connectForSession(ctx, flags, session);
      await revoke(connection.protocol, token, kind);
      await tokens.delete(sessionKey(ctx.profileName));
      return { token, kind, issuer: connection.as.issuer, dropped: [`the local tokens of profile ${ctx.profileName}`] };
    });
    revoked.dropped.push(...(await forgetRevokedToken(tokens, knownProfiles(ctx), revoked.token, sessionLock(ctx))));
  }
  const { token, kind, issuer, dropped } = revoked;
  if (ctx.out.json) {
    ctx.out.jsonResult({
      revoked: true,
      token: stub(token),
      ...(kind ? { token_type_hint: kind } : {}),
      local_tokens_deleted: given === undefined,
      dropped_locally: dropped,
    });
  } else {
    ctx.out.result(
      `Revoked ${kind ? kind.replace('_', ' ') : 'token'} ${stub(token)} at ${issuer}.${dropped.length ? ` Dropped ${dropped.join(' and ')}.` : ''}`,
    );
  }
  return Exit.ok;
}
