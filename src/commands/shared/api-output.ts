// Where `oauth curl`'s answer goes: the body byte for byte to stdout or -o (as it arrives for a 2xx, else once the call
// is over), the -i head before it, a terminal shown only printable text, and a failed write said as a local failure.
import { STATUS_CODES } from 'node:http';
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { CliError } from '../../errors.js';
import type { BodySink, HttpResponse } from '../../net/http.js';
import type { Context } from '../context.js';

/** The largest answer held in memory: any but a 2xx (a 401 may still need a sign-in), and any on a terminal. */
export const MAX_BODY_BYTES = 100 * 1024 * 1024;
/** The largest 2xx body passed on to a pipe or -o as it arrives. */
export const MAX_STREAMED_BYTES = 1024 * 1024 * 1024;

/** -i and -o, as curl spells them. */
export interface OutputFlags {
  readonly include?: boolean | undefined;
  readonly output?: string | undefined;
}

/**
 * A 2xx body (the final answer) goes to a pipe or -o as it arrives, after the head when -i; anything else is held and
 * printed once the call is over. On a terminal nothing streams: text is made printable whole.
 */
export function bodySink(ctx: Context, flags: OutputFlags) {
  let streamed = false;
  let fd: number | undefined;
  const sink = (head: { status: number; headers: Record<string, string> }): BodySink | undefined => {
    const toFile = outputFile(flags) !== undefined;
    if (head.status < 200 || head.status >= 300 || (!toFile && ctx.io.stdoutIsTTY)) return undefined;
    streamed = true;
    if (flags.include) printHead(ctx, head.status, head.headers);
    if (!toFile) return { write: (chunk) => writeStdout(ctx, chunk), maxBytes: MAX_STREAMED_BYTES };
    fd = openOutput(flags.output!);
    const file = fd;
    return { write: (chunk) => writeOutput(file, chunk, flags.output!), maxBytes: MAX_STREAMED_BYTES };
  };
  return {
    sink,
    streamed: () => streamed,
    close: () => {
      if (fd !== undefined) closeSync(fd);
    },
  };
}

/** The answer the sink did not take: the head when -i, then the body. */
export function printAnswer(ctx: Context, flags: OutputFlags, response: HttpResponse, streamed: boolean): void {
  if (streamed) return;
  if (flags.include) printHead(ctx, response.status, response.headers);
  writeBody(ctx, flags, response);
}

/** -o <file>; `-o -` is stdout, as in curl (a file named "-" is -o ./-). */
function outputFile(flags: OutputFlags): string | undefined {
  return flags.output === '-' ? undefined : flags.output;
}

function openOutput(path: string): number {
  try {
    return openSync(path, 'w');
  } catch (error) {
    throw cannotWrite(path, error);
  }
}

function writeOutput(fd: number, chunk: Buffer, path: string): void {
  try {
    for (let written = 0; written < chunk.length; ) written += writeSync(fd, chunk, written);
  } catch (error) {
    throw cannotWrite(path, error);
  }
}

/** A failure writing the answer is local: it names the sink and the cause, never the network. */
function cannotWrite(path: string, error: unknown): CliError {
  const code = (error as NodeJS.ErrnoException).code ?? 'error';
  return new CliError('OUTPUT_FAILED', `Cannot write ${path === '-' ? 'stdout' : `-o ${path}`}: ${code}.`, {
    hint:
      code === 'ENOSPC'
        ? 'The disk (or device) is full: free some space or write elsewhere.'
        : path === '-'
          ? 'Check where stdout goes.'
          : 'Check that the directory exists and that this user may write there.',
  });
}

/** stdout: a reader that went away (EPIPE) is handled where the streams are made; anything else is said here. */
function writeStdout(ctx: Context, chunk: Uint8Array): void {
  try {
    ctx.out.bytes(chunk);
  } catch (error) {
    throw cannotWrite('-', error);
  }
}

/**
 * -i: the status line and the headers, one printable line each (a server's header cannot start a line of ours). The
 * status line is curl's: the one HTTP client speaks HTTP/1.1 only.
 */
function printHead(ctx: Context, status: number, headers: Record<string, string>): void {
  ctx.out.result([
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`.trimEnd(),
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    '',
  ]);
}

function writeBody(ctx: Context, flags: OutputFlags, response: HttpResponse): void {
  const file = outputFile(flags);
  if (file !== undefined) {
    try {
      writeFileSync(file, response.body);
    } catch (error) {
      throw cannotWrite(file, error);
    }
    return;
  }
  if (response.body.length === 0) return;
  if (!ctx.io.stdoutIsTTY) {
    writeStdout(ctx, response.body);
    return;
  }
  // A terminal would run the escape sequences a body holds: text is shown printable, binary not at all (as curl does).
  const text = new TextDecoder('utf-8', { fatal: false }).decode(response.body);
  if (response.body.includes(0) || text.includes('\ufffd')) {
    ctx.out.warn(
      `The body is binary (${response.body.length} bytes) and is not shown on a terminal: use -o <file>, or pipe it.`,
    );
    return;
  }
  ctx.out.result(text.replace(/\r?\n$/, '').split(/\r?\n/));
}
