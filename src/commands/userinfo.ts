// `oauth userinfo`: the OpenID Connect UserInfo claims for the signed-in profile (refreshing its token if needed).
import type { Context } from './context.js';
import { Exit } from '../errors.js';
import { userinfo } from '../oauth/grants.js';
import type { Session } from '../oauth/session.js';
import { defineCommand } from './define.js';
import { CLIENT_FLAGS } from './shared/client-flags.js';
import { connectForSession, type Connection } from './shared/connect.js';
import type { ClientFlags } from './shared/client-flags.js';
import { freshProfileSession } from './shared/fresh-session.js';
import { store } from './shared/store.js';
import { rememberSecrets } from './shared/stored-session.js';

export const command = defineCommand({
  name: 'userinfo',
  flags: CLIENT_FLAGS,
  examples: ['oauth userinfo', 'oauth userinfo --json | jq .email'],
  run: (_args, flags, ctx) => run(flags, ctx),
});

export async function run(flags: ClientFlags, ctx: Context): Promise<number> {
  const tokens = await store(ctx);
  // One connection serves both the refresh (if one is due) and the userinfo request: same server, same client.
  let connection: Promise<Connection> | undefined;
  const connectOnce = (session: Session) => (connection ??= connectForSession(ctx, flags, session));
  const { session } = await freshProfileSession(ctx, flags, tokens, {
    minTtlSeconds: 10,
    force: false,
    connect: connectOnce,
  });
  rememberSecrets(ctx, session);
  const { protocol } = await connectOnce(session);
  const claims = await userinfo(protocol, session.access_token, session.subject, session.token_type);
  if (ctx.out.json) ctx.out.jsonResult(claims);
  else
    ctx.out.result(
      Object.entries(claims).map(([name, value]) => `${ctx.out.style.cyan(name.padEnd(20))} ${JSON.stringify(value)}`),
    );
  return Exit.ok;
}
