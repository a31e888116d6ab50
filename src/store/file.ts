// Secrets in one JSON file, mode 0600, replaced atomically under a lock so two processes never lose each other's
// writes. Used only when no keychain is available (or OAUTH_STORE=file).
import { readFileSync } from 'node:fs';
import { CliError } from '../errors.js';
import type { SecretStore } from './store.js';

interface FileShape {
  version: 1;
  entries: Record<string, string>;
}

/**
 * The file's shape, checked whole: an "entries" array would take a property assignment and serialize without it, so a
 * write would silently keep nothing.
 */
function shapeProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'it is not a JSON object';
  const { version, entries } = value as { version?: unknown; entries?: unknown };
  if (version !== 1) return `"version" is ${JSON.stringify(version) ?? 'missing'}, not 1`;
  if (entries === null || typeof entries !== 'object' || Array.isArray(entries)) return '"entries" is not an object';
  const wrong = Object.entries(entries).find(([, entry]) => typeof entry !== 'string');
  return wrong ? `entry ${JSON.stringify(wrong[0])} is not a string` : undefined;
}

export function fileStore(path: string): SecretStore {
  async function load(): Promise<FileShape> {
    let text: string;
    try {
      // Synchronous on purpose: one small file, and node:fs/promises is not worth loading for a read.
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, entries: {} };
      const code = (error as NodeJS.ErrnoException).code;
      throw new CliError('STORE_FAILED', `Cannot read the token file ${path}: ${(error as Error).message}`, {
        hint:
          code === 'EISDIR'
            ? `${path} is a directory, not the token file: move it aside (mv ${path} ${path}.bad) and sign in again with "oauth login", or use OAUTH_STORE=keychain.`
            : `Check that ${path} is a readable file (its owner and permissions), or set OAUTH_STORE to another store.`,
      });
    }
    let problem: string | undefined;
    try {
      const parsed: unknown = JSON.parse(text);
      problem = shapeProblem(parsed);
      if (problem === undefined) return parsed as FileShape;
    } catch {
      problem = 'it is not JSON';
    }
    throw new CliError('STORE_CORRUPT', `The token file ${path} is corrupt (${problem}); it was left untouched.`, {
      reason: problem,
      hint: `Move it aside (mv ${path} ${path}.bad) and sign in again with "oauth login".`,
    });
  }

  async function update(change: (entries: Record<string, string>) => boolean): Promise<boolean> {
    const [{ withFileLock }, { writeFileAtomic }] = await Promise.all([
      import('./lock.js'),
      import('./atomic-file.js'),
    ]);
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
