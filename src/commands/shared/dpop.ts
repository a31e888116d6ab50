// DPoP for a run: whether it is wanted (--dpop, OAUTH_DPOP, the profile's "dpop"), the key a new session gets, and the
// run's one memory of the nonces servers gave (RFC 9449 §8, §9), shared by the authorization server's and the APIs' calls.
import { type DpopAlg, type DpopKey, DpopNonces, dpopAlg, generateDpopKey } from '../../oauth/dpop.js';
import type { Context } from '../context.js';
import type { DpopFlags } from './client-flags.js';

const runNonces = new WeakMap<Context, DpopNonces>();

export function dpopNonces(ctx: Context): DpopNonces {
  let nonces = runNonces.get(ctx);
  if (!nonces) runNonces.set(ctx, (nonces = new DpopNonces()));
  return nonces;
}

/** The alg a new key gets when DPoP is wanted for this run, else undefined. */
export function wantedDpop(ctx: Context, flags: Partial<DpopFlags>): DpopAlg | undefined {
  const setting = ctx.settings.get('dpop');
  const wanted = flags.dpop === true || (setting !== undefined && /^(true|1|yes|on)$/i.test(setting.value.trim()));
  if (!wanted) return undefined;
  const alg = ctx.settings.get('dpop_alg');
  return dpopAlg(alg?.value, alg?.origin ?? '--dpop-alg');
}

/** Where the run's DPoP alg came from, for messages. */
export function dpopAlgOrigin(ctx: Context): string {
  return ctx.settings.get('dpop_alg')?.origin ?? 'the default';
}

/** A new key for a new session; its private parts are registered as secrets before anything else sees them. */
export function newDpopKey(ctx: Context, alg: DpopAlg): Promise<DpopKey> {
  return generateDpopKey(alg, ctx.knownSecrets);
}
