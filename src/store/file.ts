// Secrets in one JSON file, mode 0600, replaced atomically under a lock so two processes never lose each other's
// writes. Used only when no keychain is available (or OAUTH_STORE=file).
import { readFileSync } from 'node:fs';
import { CliError } from '../errors.js';
import type { SecretStore } from './store.js';

interface FileShape {
  version: 1;
  entries: Record<string, string>;
}

export function fileStore(path: string): SecretStore {
  async function load(): Promise<FileShape> {
    let text: string;
    try {
      // Synchronous on purpose: one small file, and node:fs/promises is not worth loading for a read.
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, entries: {} };
      throw new CliError('STORE_FAILED', `Cannot read the token file ${path}: ${(error as Error).message}`);
    }
    try {
      const parsed = JSON.parse(text) as FileShape;
      if (parsed?.version !== 1 || typeof parsed.entries !== 'object' || parsed.entries === null) throw new Error('unexpected shape');
      return parsed;
    } catch {
      throw new CliError('STORE_CORRUPT', `The token file ${path} is corrupt; it was left untouched.`, {
        hint: `Move it aside (mv ${path} ${path}.bad) and sign in again with "oauth login".`,
      });
    }
  }

  async function update(change: (entries: Record<string, string>) => boolean): Promise<boolean> {
    const [{ withFileLock }, { writeFileAtomic }] = await Promise.all([import('../lock.js'), import('../fsutil.js')]);
    return withFileLock(`${path}.lock`, async () => {
      const data = await load();
      const changed = change(data.entries);
      if (changed) {
        try {
          await writeFileAtomic(path, `${JSON.stringify(data, null, 2)}\n`, 0o600);
        } catch (error) {
          throw new CliError('STORE_FAILED', `Cannot write the token file ${path}: ${(error as Error).message}`, {
            hint: 'Check that its directory is writable and the disk is not full; the previous file is intact.',
          });
        }
      }
      return changed;
    });
  }

  return {
    kind: 'file',
    describe: () => `file ${path} (mode 0600)`,
    get: async (key) => (await load()).entries[key],
    set: async (key, value) => {
      await update((entries) => {
        entries[key] = value;
        return true;
      });
    },
    delete: (key) =>
      update((entries) => {
        if (!(key in entries)) return false;
        delete entries[key];
        return true;
      }),
  };
}
