// The streams and facts about them that commands need. The process-backed IO lives here; tests use bufferIO
// (io-buffer.ts). Nothing here is touched before it is needed: reading process.stdin creates a stream.
import { fstatSync, statSync, writeSync } from 'node:fs';
import type { Readable } from 'node:stream';

/**
 * Whether a descriptor is a terminal. On Unix a terminal is a character device other than /dev/null, so fstat (a
 * system call) answers "no" for pipes, files and /dev/null without loading node:tty, which brings in net and the
 * stream machinery. Windows consoles are left to node:tty.
 */
function isTerminal(fd: number): boolean {
  if (process.platform !== 'win32') {
    try {
      const stats = fstatSync(fd);
      if (!stats.isCharacterDevice() || stats.rdev === devNullDevice()) return false;
    } catch {
      return false;
    }
  }
  return process.getBuiltinModule('node:tty').isatty(fd);
}

function devNullDevice(): number | undefined {
  try {
    return statSync('/dev/null').rdev;
  } catch {
    return undefined;
  }
}

export interface Writer {
  write(text: string): unknown;
  /** Bytes exactly as given (an API's body that `oauth curl` prints); absent where only text can go. */
  writeBytes?(data: Uint8Array): unknown;
}

export interface IO {
  stdin: Readable;
  stdout: Writer;
  stderr: Writer;
  stdinIsTTY: boolean;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  /** The terminal's width, when stdout (or stderr) is a terminal. */
  stdoutColumns?: number;
  stderrColumns?: number;
  env: Readonly<Record<string, string | undefined>>;
  /** Aborted on Ctrl-C; long waits listen to it. */
  signal: AbortSignal;
  /**
   * Runs work that must not be cut short once begun (a refresh the server has received: its rotated refresh token
   * must be saved). Ctrl-C meanwhile is held until it ends (a second Ctrl-C still ends the run at once).
   */
  shield?<T>(work: () => Promise<T>): Promise<T>;
  /** Opens a URL for the user to sign in (the demo's simulated user); absent: the system's browser (or BROWSER). */
  openBrowser?: (url: string) => Promise<void>;
  /** The terminal streams prompts draw on (stdin and stderr); absent where no one can answer. */
  terminal?: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream };
}

/**
 * The real streams; `signal` (asked of bin/ when first needed: an AbortController costs a short run a few per cent) is
 * aborted on Ctrl-C, and `onStreamError` (from bin/) handles a closed pipe.
 * Output is written to the descriptors directly, and stdin's stream is created when first read: creating
 * process.stdout for a pipe loads net and the stream machinery, a large share of a short run.
 */
export function processIO(
  signal: () => AbortSignal,
  onStreamError?: (error: NodeJS.ErrnoException) => void,
  shield?: <T>(work: () => Promise<T>) => Promise<T>,
): IO {
  return {
    ...(shield ? { shield } : {}),
    get stdin() {
      return process.stdin;
    },
    stdout: descriptorWriter(1, () => process.stdout, onStreamError),
    stderr: descriptorWriter(2, () => process.stderr, onStreamError),
    get stdinIsTTY() {
      return isTerminal(0);
    },
    get stdoutIsTTY() {
      return isTerminal(1);
    },
    get stderrIsTTY() {
      return isTerminal(2);
    },
    get stdoutColumns() {
      return isTerminal(1) ? process.stdout.columns : undefined;
    },
    get stderrColumns() {
      return isTerminal(2) ? process.stderr.columns : undefined;
    },
    env: process.env,
    get signal() {
      return signal();
    },
    get terminal() {
      return { input: process.stdin, output: process.stderr };
    },
  };
}

/**
 * Writes synchronously to a descriptor, as Node's own stdout does on Linux for pipes, files and terminals. A
 * descriptor someone made non-blocking answers EAGAIN when full; from then on the stream (which queues) takes over,
 * so the order of the output is kept. `write` is fs.writeSync but for tests.
 */
export function descriptorWriter(
  fd: number,
  stream: () => NodeJS.WritableStream,
  onStreamError?: (error: NodeJS.ErrnoException) => void,
  write: (fd: number, data: Uint8Array, offset: number) => number = writeSync,
): Writer {
  let fallback: NodeJS.WritableStream | undefined;
  const viaStream = (data: string | Uint8Array) => {
    if (!fallback) {
      fallback = stream();
      if (onStreamError) fallback.on('error', onStreamError);
    }
    return fallback.write(data);
  };
  const writeData = (data: Uint8Array) => {
    let written = 0;
    try {
      while (written < data.length) written += write(fd, data, written);
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') return viaStream(data.subarray(written));
      if (code === 'EPIPE' && onStreamError) return onStreamError(error as NodeJS.ErrnoException);
      throw error;
    }
  };
  return {
    write: (text: string) => (fallback ? viaStream(text) : writeData(Buffer.from(text))),
    writeBytes: (data: Uint8Array) => (fallback ? viaStream(data) : writeData(data)),
  };
}
