// What ID-token validation is given of a run (for a sign-in and a refresh alike): its clock, its document cache, its
// URL policy, its cancellation signal and where its warnings go.
import type { IdTokenDeps } from '../../oauth/id-token.js';
import type { Context } from '../context.js';

export function idTokenDeps(ctx: Context): IdTokenDeps {
  return {
    documents: () => ctx.documents(),
    insecure: ctx.insecure,
    now: ctx.now,
    signal: ctx.io.signal,
    warn: (message) => ctx.out.warn(message),
  };
}
