// `oauth userinfo`: the OpenID Connect UserInfo claims for the signed-in profile (refreshing its token if needed).
import type { Context } from './context.js';
import { Exit } from '../errors.js';
import { userinfo } from '../oauth/grants.js';
import type { Session } from '../oauth/session.js';
import { store, type ClientFlags } from './common.js';
import { connectForSession, type Connection } from './shared/connect.js';
import { freshProfileSession } from './session-refresh.js';
import { rememberSecrets } from './stored-token.js';

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
  const claims = await userinfo(protocol, session.access_token, session.subject);
  if (ctx.out.json) ctx.out.jsonResult(claims);
  else
    ctx.out.result(
      Object.entries(claims).map(([name, value]) => `${ctx.out.style.cyan(name.padEnd(20))} ${JSON.stringify(value)}`),
    );
  return Exit.ok;
}
