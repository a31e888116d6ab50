// `oauth introspect [token]`: RFC 7662. Exit 3 when the server says the token is not active.
import type { Context } from './context.js';
import { Exit } from '../errors.js';
import { datedRelative } from '../jwt/time.js';
import { introspect } from '../oauth/grants.js';
import { stub } from '../redact.js';
import { connect, connectForSession } from './shared/connect.js';
import { argument, defineCommand } from './define.js';
import { TOKEN_COMMAND_FLAGS, type TokenCommandFlags } from './shared/client-flags.js';
import { store } from './shared/store.js';
import { sessionIfOwned, storedSession } from './shared/stored-session.js';
import { typeHint, tokenArgument } from './shared/token-argument.js';

export const command = defineCommand({
  name: 'introspect',
  args: {
    token: argument(
      '[token]',
      'the token ("Bearer <token>" and an "Authorization:" line work too), or "-" for stdin; default: the profile\'s access token',
    ),
  },
  flags: TOKEN_COMMAND_FLAGS,
  examples: ['oauth introspect', 'OAUTH_CLIENT_SECRET=… oauth introspect "$TOKEN" --client-id resource-server --json'],
  run: ({ token }, flags, ctx) => run(token, flags, ctx),
});

export async function run(argument: string | undefined, flags: TokenCommandFlags, ctx: Context): Promise<number> {
  const given = await tokenArgument(ctx, argument);
  const tokens = await store(ctx);
  // A resource server introspects the profile's token as itself (--client-id rs): the client may differ, the issuer not.
  const session = given ? undefined : await storedSession(ctx, tokens, { clientMayDiffer: true });
  const token = given ?? session!.access_token;
  const connection = await (session
    ? connectForSession(ctx, flags, session)
    : connect(ctx, flags, { session: await sessionIfOwned(ctx, tokens) }));
  const result = await introspect(connection.protocol, token, given ? typeHint(flags.tokenTypeHint) : 'access_token');
  if (ctx.out.json) {
    ctx.out.jsonResult(result);
  } else {
    const style = ctx.out.style;
    const now = ctx.now() / 1000;
    const lines = [
      `${result.active ? style.green('✓ active') : style.red('✗ not active')}  ${stub(token)} at ${connection.as.issuer}`,
    ];
    for (const [name, value] of Object.entries(result)) {
      if (name === 'active') continue;
      const time =
        ['exp', 'iat', 'nbf'].includes(name) && typeof value === 'number'
          ? `  ${style.dim(datedRelative(value, now))}`
          : '';
      lines.push(`  ${style.cyan(name.padEnd(12))} ${JSON.stringify(value)}${time}`);
    }
    ctx.out.result(lines);
  }
  return result.active ? Exit.ok : Exit.invalid;
}
