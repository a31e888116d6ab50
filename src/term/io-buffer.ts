// An in-memory IO for tests and for running commands inside other commands (like gh's iostreams.Test()).
import { PassThrough, Readable } from 'node:stream';
import type { IO } from './io.js';

export interface BufferIO extends IO {
  out(): string;
  err(): string;
}

/** An in-memory IO for tests: like gh's iostreams.Test(). */
export function bufferIO(
  options: {
    stdin?: string | Readable;
    env?: Record<string, string | undefined>;
    tty?: boolean;
    signal?: AbortSignal;
  } = {},
): BufferIO {
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
