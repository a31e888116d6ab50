// The token store as commands open it: what is read from it is registered as a secret the moment it is read, and
// what is written to it carries none of the run's passing secrets.
import { sessionKey } from '../../oauth/session.js';
import { stateDir } from '../../settings/paths.js';
import { openStore } from '../../store/open.js';
import type { SecretStore } from '../../store/store.js';
import type { Context } from '../context.js';

/**
 * The token store. Whatever is read from it is registered as a secret the moment it is read: a session's tokens and
 * client secret are then redacted from everything printed, whichever command read them (status shows scopes a server
 * chose, and a server may put a refresh token there).
 */
export async function store(ctx: Context): Promise<SecretStore> {
  const opened = await openStore({
    env: ctx.io.env,
    stateDir: stateDir(ctx.io.env),
    warn: (message) => ctx.out.warn(message),
  });
  return {
    kind: opened.kind,
    describe: () => opened.describe(),
    get: async (key) => {
      const value = await opened.get(key);
      if (value !== undefined) registerStoredSecrets(ctx, value);
      return value;
    },
    set: (key, value) => opened.set(key, withoutRunSecrets(ctx, value)),
    delete: (key) => opened.delete(key),
  };
}

/**
 * For commands that print what a server says without using a stored session (discover, check): the profile's session
 * secrets are registered all the same, since the server that issued them can echo them anywhere.
 */
export async function rememberProfileSecrets(ctx: Context): Promise<void> {
  await (await store(ctx)).get(sessionKey(ctx.profileName)).catch(() => undefined);
}

/**
 * What a session keeps for display (the granted scope, the subject) is the server's text, and a hostile server puts
 * there what it received: the code, the PKCE verifier, a client assertion. Those are gone after this run, so no later
 * run could redact them; they are redacted here, before they are stored.
 */
function withoutRunSecrets(ctx: Context, value: string): string {
  let entry: unknown;
  try {
    entry = JSON.parse(value);
  } catch {
    return value;
  }
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return value;
  const record = entry as Record<string, unknown>;
  let changed = false;
  for (const field of ['scope', 'requested_scope', 'subject']) {
    const text = record[field];
    if (typeof text !== 'string') continue;
    const redacted = ctx.knownSecrets.redact(text);
    if (redacted !== text) {
      // Stubs without spaces: a scope is a list of space-separated names, and "(32 chars)" would read as two of them.
      record[field] = redacted
        .replace(/ \((\d+) chars\)/g, '($1-chars)')
        .replace(/\[redacted, (\d+) chars\]/g, '[redacted-$1-chars]');
      changed = true;
    }
  }
  return changed ? JSON.stringify(record) : value;
}

function registerStoredSecrets(ctx: Context, value: string): void {
  try {
    ctx.knownSecrets.addFromJson(JSON.parse(value));
  } catch {
    // Not JSON: the session parser reports the store as corrupt.
  }
}
