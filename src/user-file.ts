// Files the user names on the command line (keys, secrets, key sets, CA bundles, client registrations): read whole and
// synchronously, so only a regular file of modest size is read at all. A FIFO or a device would block the run where
// Ctrl-C cannot reach it, and /dev/zero would fill memory. Config and store files have their own readers.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { CliError } from './errors.js';

/** Far above any key, secret, JWKS or CA bundle a user keeps in a file. */
export const MAX_USER_FILE_BYTES = 1024 * 1024;

/**
 * The bytes of the regular file at `path`, named in messages as `origin` (a flag, a variable, a profile setting).
 * Anything else is exit 2 naming it: missing or unreadable, not a regular file, or larger than `maxBytes`.
 */
export function readUserFile(path: string, origin: string, maxBytes = MAX_USER_FILE_BYTES): Buffer {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer before fstat could refuse it.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new CliError('FILE_UNREADABLE', `Cannot read ${origin} ${path}: ${(error as Error).message}`);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) {
      throw new CliError('FILE_UNREADABLE', `${origin} ${path} is ${kind(stats)}, not a regular file.`, {
        hint: 'Give the path of a file; to pass a value from another program, save it to a file with restricted permissions first.',
      });
    }
    const tooLarge = () =>
      new CliError('FILE_UNREADABLE', `${origin} ${path} is larger than ${maxBytes / 1024} KiB; a key, secret or key set is far smaller.`, {
        hint: 'Check that the path names the intended file.',
      });
    if (stats.size > maxBytes) throw tooLarge();
    // The file may grow while it is read: read at most one byte past the cap, then refuse.
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (;;) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
      if (length > maxBytes) throw tooLarge();
    }
    return buffer.subarray(0, length);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError('FILE_UNREADABLE', `Cannot read ${origin} ${path}: ${(error as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

function kind(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isSocket()) return 'a socket';
  return 'a special file';
}
