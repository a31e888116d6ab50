// Files the user names on the command line (keys, secrets, key sets, CA bundles, client registrations): read whole and
// synchronously, so only a regular file or a pipe of modest size is read at all. A pipe is what process substitution
// gives (`--client-secret-file <(pass show x)`, which keeps a secret off argv and off disk): it is read without ever
// blocking, for a bounded time, since a blocked read is where Ctrl-C cannot reach. A device (/dev/zero) is refused.
// Config and store files have their own readers.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { CliError } from '../errors.js';

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
    if (stats.isFIFO()) return readPipe(fd, path, origin, maxBytes);
    if (!stats.isFile()) {
      throw new CliError('FILE_UNREADABLE', `${origin} ${path} is ${kind(stats)}, not a regular file.`, {
        hint: 'Give the path of a file, or the output of a command through process substitution: <(command).',
      });
    }
    const tooLarge = () =>
      new CliError(
        'FILE_UNREADABLE',
        `${origin} ${path} is larger than ${maxBytes / 1024} KiB; a key, secret or key set is far smaller.`,
        {
          hint: 'Check that the path names the intended file.',
        },
      );
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

/** How long a pipe may take to deliver what it holds (a password manager may first ask for its passphrase). */
const PIPE_PATIENCE_MS = 30_000;

/** A pipe read to its end without blocking: a writer that never comes or never ends is an error after a while. */
function readPipe(fd: number, path: string, origin: string, maxBytes: number): Buffer {
  const chunks: Buffer[] = [];
  let length = 0;
  const deadline = Date.now() + PIPE_PATIENCE_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    const chunk = Buffer.alloc(64 * 1024);
    let read: number;
    try {
      read = readSync(fd, chunk, 0, chunk.length, null);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      if (Date.now() > deadline) {
        throw new CliError(
          'FILE_UNREADABLE',
          `${origin} ${path} is a pipe that gave no end of data within ${PIPE_PATIENCE_MS / 1000}s.`,
          {
            hint: 'Check the command that writes to it, or give a file.',
          },
        );
      }
      // Nothing yet: wait a little without spinning (a synchronous pause; the read never blocks on its own).
      Atomics.wait(pause, 0, 0, 20);
      continue;
    }
    if (read === 0) {
      // A named pipe nobody writes to reads as ended at once: say so, rather than take it for an empty file.
      if (length === 0) {
        throw new CliError(
          'FILE_UNREADABLE',
          `${origin} ${path} is a pipe that gave nothing to read (nothing writes to it, or what writes to it wrote nothing).`,
          {
            hint: 'Check the command that should write to it, or give a file.',
          },
        );
      }
      break;
    }
    length += read;
    if (length > maxBytes) {
      throw new CliError(
        'FILE_UNREADABLE',
        `${origin} ${path} gave more than ${maxBytes / 1024} KiB; a key, secret or key set is far smaller.`,
        {
          hint: 'Check that the path names the intended file or command.',
        },
      );
    }
    chunks.push(chunk.subarray(0, read));
  }
  return Buffer.concat(chunks);
}

function kind(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isSocket()) return 'a socket';
  return 'a special file';
}
