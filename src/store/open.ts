// Picks the store: OAUTH_STORE when set; else the keychain; else a 0600 file, saying so once.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CliError, isCliError } from '../errors.js';
import { fileStore } from './file.js';
import { probeKeychain } from './keychain.js';
import { memoryStore } from './memory.js';
import type { SecretStore } from './store.js';

export const STORE_KINDS = ['keychain', 'file', 'memory'] as const;

export async function openStore(options: {
  env: Readonly<Record<string, string | undefined>>;
  stateDir: string;
  warn: (message: string) => void;
}): Promise<SecretStore> {
  return readBackWrites(await chooseStore(options));
}

async function chooseStore(options: {
  env: Readonly<Record<string, string | undefined>>;
  stateDir: string;
  warn: (message: string) => void;
}): Promise<SecretStore> {
  const forced = options.env.OAUTH_STORE?.trim();
  const tokenFile = join(options.stateDir, 'tokens.json');
  if (forced && !(STORE_KINDS as readonly string[]).includes(forced)) {
    throw new CliError('USAGE', `OAUTH_STORE must be one of ${STORE_KINDS.join(', ')}, not "${forced}".`);
  }
  if (forced === 'memory') return memoryStore();
  if (forced === 'file') return fileStore(tokenFile);
  const keychain = await probeKeychain(options.env);
  if ('store' in keychain) {
    if (forced === 'keychain') return keychain.store;
    return keychainOrFile(keychain.store, fileStore(tokenFile), (reason) =>
      options.warn(
        `The keychain could not save the tokens (${reason}); they are stored in ${tokenFile} (mode 0600) instead.`,
      ),
    );
  }
  if (forced === 'keychain') {
    throw new CliError('STORE_UNAVAILABLE', `OAUTH_STORE=keychain, but no keychain is available: ${keychain.reason}.`, {
      hint: 'Start a Secret Service (e.g. gnome-keyring), or use OAUTH_STORE=file.',
    });
  }
  return warnOnceOnWrite(fileStore(tokenFile), join(options.stateDir, '.file-store-warned'), () =>
    options.warn(
      `No keychain is available (${keychain.reason}); tokens are stored in ${tokenFile} (mode 0600) instead.`,
    ),
  );
}

/**
 * A keychain can answer reads and still refuse writes (no default collection, locked, a prompt nobody can answer):
 * then the tokens go to the file, and reads look there too, so nothing is lost.
 */
function keychainOrFile(keychain: SecretStore, file: SecretStore, warn: (reason: string) => void): SecretStore {
  let usingFile = false;
  return {
    kind: 'keychain',
    describe: () => (usingFile ? file.describe() : keychain.describe()),
    async get(key) {
      const value = await keychain.get(key).catch(() => undefined);
      if (value !== undefined) return value;
      const fromFile = await file.get(key);
      if (fromFile !== undefined) usingFile = true;
      return fromFile;
    },
    async set(key, value) {
      try {
        await keychain.set(key, value);
        if (usingFile) await file.delete(key);
        usingFile = false;
      } catch (error) {
        usingFile = true;
        await file.set(key, value);
        // Reads look in the keychain first: an older value left there would shadow this one.
        await keychain.delete(key).catch(() => false);
        // The keychain's own words, without the sentence a failed save is otherwise reported in.
        if (isCliError(error) && error.reason !== undefined) warn(error.reason);
        else warn(error instanceof Error ? error.message : String(error));
      }
    },
    async delete(key) {
      const [fromKeychain, fromFile] = await Promise.all([keychain.delete(key).catch(() => false), file.delete(key)]);
      return fromKeychain || fromFile;
    },
  };
}

function warnOnceOnWrite(store: SecretStore, marker: string, warn: () => void): SecretStore {
  return {
    ...store,
    async set(key, value) {
      await store.set(key, value);
      if (!existsSync(marker)) {
        warn();
        const { writeFileAtomic } = await import('./atomic-file.js');
        await writeFileAtomic(marker, `${new Date().toISOString()}\n`).catch(() => undefined);
      }
    },
  };
}

/**
 * A write is read back before it counts: a keychain or file that answers "saved" and keeps nothing (a filesystem
 * quirk, a keychain that drops entries) must end in an error, never in "signed in" with the tokens lost.
 */
export function readBackWrites(store: SecretStore): SecretStore {
  return {
    ...store,
    describe: () => store.describe(),
    async set(key, value) {
      await store.set(key, value);
      if ((await store.get(key)) !== value) {
        throw new CliError(
          'STORE_FAILED',
          `Saving to ${store.describe()} did not stick: reading it back gave something else.`,
          {
            hint: 'Check the store (OAUTH_STORE=file keeps tokens in a 0600 file under XDG_STATE_HOME; OAUTH_STORE=keychain uses the keychain only).',
          },
        );
      }
    },
  };
}
