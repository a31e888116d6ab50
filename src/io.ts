// The streams and facts about them that commands need. The process-backed IO lives here; tests use bufferIO.
import { PassThrough, Readable } from 'node:stream';

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

/** The real streams; `signal` is aborted by bin/ on Ctrl-C. */
export function processIO(signal: AbortSignal): IO {
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    stdinIsTTY: process.stdin.isTTY === true,
    stdoutIsTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    env: process.env,
    signal,
    terminal: { input: process.stdin, output: process.stderr },
  };
}

export interface BufferIO extends IO {
  out(): string;
  err(): string;
}

/** An in-memory IO for tests: like gh's iostreams.Test(). */
export function bufferIO(options: {
  stdin?: string | Readable;
  env?: Record<string, string | undefined>;
  tty?: boolean;
  signal?: AbortSignal;
} = {}): BufferIO {
  let out = '';
  let err = '';
  const stdin =
    options.stdin instanceof Readable
      ? options.stdin
      : options.stdin === undefined
        ? endedStream()
        : Readable.from([options.stdin]);
  return {
    stdin,
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    stdinIsTTY: options.tty ?? false,
    stdoutIsTTY: options.tty ?? false,
    stderrIsTTY: options.tty ?? false,
    env: options.env ?? {},
    signal: options.signal ?? new AbortController().signal,
    out: () => out,
    err: () => err,
  };
}

function endedStream(): Readable {
  const stream = new PassThrough();
  stream.end();
  return stream;
}
