// What the flows under src/oauth and src/jwt are given of a run: its clock, its caches and HTTP client, its URL policy,
// its cancellation signal and where its warnings go.
import type { IdTokenDeps } from '../../oauth/id-token.js';
import type { Context } from '../context.js';

export function flowDeps(ctx: Context): IdTokenDeps {
  return {
    documents: () => ctx.documents(),
    insecure: ctx.insecure,
    now: ctx.now,
    signal: ctx.io.signal,
    warn: (message) => ctx.out.warn(message),
  };
}
