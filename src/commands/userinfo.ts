// `oauth userinfo`: the OpenID Connect UserInfo claims for the signed-in profile (refreshing its token if needed).
import type { Context } from '../context.js';
import { Exit } from '../errors.js';
import { refresh, userinfo } from '../oauth/grants.js';
import { stateDir } from '../paths.js';
import { freshSession } from '../session.js';
import { store, type ClientFlags } from './common.js';
import { connect } from './connection.js';

export async function run(flags: ClientFlags, ctx: Context): Promise<number> {
  const tokens = await store(ctx);
  let connection: Awaited<ReturnType<typeof connect>> | undefined;
  const connectFor = async (issuer: string, clientId: string, secret: string | undefined) =>
    (connection ??= await connect(ctx, { ...flags, issuer: flags.issuer ?? issuer, clientId }, { storedSecret: secret }));
  const { session } = await freshSession(
    ctx.profileName,
    {
      store: tokens,
      stateDir: stateDir(ctx.io.env),
      nowSeconds: () => Math.floor(ctx.now() / 1000),
      signal: ctx.io.signal,
      refresh: async (current) => refresh((await connectFor(current.issuer, current.client_id, current.client_secret)).protocol, current.refresh_token!),
    },
    { minTtlSeconds: 10, force: false },
  );
  ctx.knownSecrets.add(session.access_token);
  const { protocol } = await connectFor(session.issuer, session.client_id, session.client_secret);
  const claims = await userinfo(protocol, session.access_token, session.subject);
  if (ctx.out.json) ctx.out.jsonResult(claims);
  else ctx.out.result(Object.entries(claims).map(([name, value]) => `${ctx.out.style.cyan(name.padEnd(20))} ${JSON.stringify(value)}`).join('\n'));
  return Exit.ok;
}
