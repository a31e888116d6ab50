// How a run waits for another oauth process's lock on a profile: bounded by what that process's requests may take.
// A module of its own so that every lock (the session's, the registration's) waits alike without import cycles.
import type { SessionLockDeps } from '../../oauth/session.js';
import { stateDir } from '../../settings/paths.js';
import type { Context } from '../context.js';

/** How this run waits for a profile's session lock (refresh, sign-in, logout and revoke all take it). */
export function sessionLock(ctx: Context): SessionLockDeps {
  return {
    stateDir: stateDir(ctx.io.env),
    signal: ctx.io.signal,
    // The owner may need discovery, the token request and the key set, each up to --timeout: wait that long for it.
    lockWaitMs: () => 30_000 + 4 * ctx.timeoutMs(),
    onLockWait: (pid) => {
      if (ctx.out.verbosity > 0)
        ctx.out.trace(
          `waiting for another oauth process${pid ? ` (pid ${pid})` : ''} that is changing this profile's tokens`,
        );
    },
  };
}
