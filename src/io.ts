// The streams and facts about them that commands need. The process-backed IO lives here; tests use bufferIO
// (io-buffer.ts). Nothing here is touched before it is needed: reading process.stdin creates a stream.
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';

// node:tty loads net and the stream machinery; most runs (--version, a pipe) never ask whether a stream is a TTY.
const isatty = (fd: number): boolean => (createRequire(import.meta.url)('node:tty') as typeof import('node:tty')).isatty(fd);

export interface Writer {
  write(text: string): unknown;
}

export interface IO {
  stdin: Readable;
  stdout: Writer;
  stderr: Writer;
  stdinIsTTY: boolean;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  env: Readonly<Record<string, string | undefined>>;
  /** Aborted on Ctrl-C; long waits listen to it. */
  signal: AbortSignal;
  /** The terminal streams prompts draw on (stdin and stderr); absent where no one can answer. */
  terminal?: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream };
}

/**
 * The real streams; `signal` is aborted by bin/ on Ctrl-C, and `onStreamError` (from bin/) handles a closed pipe.
 * A stream is created on its first write: creating one for a pipe loads the net machinery.
 */
export function processIO(signal: AbortSignal, onStreamError?: (error: NodeJS.ErrnoException) => void): IO {
  const prepared = new Set<NodeJS.WriteStream>();
  const writer = (stream: () => NodeJS.WriteStream): Writer => ({
    write(text: string) {
      const target = stream();
      if (onStreamError && !prepared.has(target)) {
        prepared.add(target);
        target.on('error', onStreamError);
      }
      return target.write(text);
    },
  });
  return {
    get stdin() {
      return process.stdin;
    },
    stdout: writer(() => process.stdout),
    stderr: writer(() => process.stderr),
    get stdinIsTTY() {
      return isatty(0);
    },
    // The stream exists anyway once anything is printed; asking it avoids loading node:tty for a pipe or a file.
    get stdoutIsTTY() {
      return process.stdout.isTTY === true;
    },
    get stderrIsTTY() {
      return process.stderr.isTTY === true;
    },
    env: process.env,
    signal,
    get terminal() {
      return { input: process.stdin, output: process.stderr };
    },
  };
}
