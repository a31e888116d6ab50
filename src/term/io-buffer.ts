// An in-memory IO for tests and for running commands inside other commands (like gh's iostreams.Test()).
import { PassThrough, Readable } from 'node:stream';
import type { IO } from './io.js';

export interface BufferIO extends IO {
  out(): string;
  /** stdout as the bytes written (text as UTF-8). */
  outBytes(): Buffer;
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
  const out: Buffer[] = [];
  let err = '';
  const stdin =
    options.stdin instanceof Readable
      ? options.stdin
      : options.stdin === undefined
        ? endedStream()
        : Readable.from([options.stdin]);
  return {
    stdin,
    stdout: {
      write: (text: string) => out.push(Buffer.from(text)),
      writeBytes: (data: Uint8Array) => out.push(Buffer.from(data)),
    },
    stderr: { write: (text: string) => (err += text) },
    stdinIsTTY: options.tty ?? false,
    stdoutIsTTY: options.tty ?? false,
    stderrIsTTY: options.tty ?? false,
    env: options.env ?? {},
    signal: options.signal ?? new AbortController().signal,
    out: () => Buffer.concat(out).toString('utf8'),
    outBytes: () => Buffer.concat(out),
    err: () => err,
  };
}

function endedStream(): Readable {
  const stream = new PassThrough();
  stream.end();
  return stream;
}
