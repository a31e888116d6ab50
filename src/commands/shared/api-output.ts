// Where `oauth curl`'s answer goes: the body byte for byte to stdout or -o (as it arrives for a 2xx, else once the call
// is over), the -i head before it, a terminal shown only printable text, and a failed write said as a local failure.
import { STATUS_CODES } from 'node:http';
import { closeSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { CliError } from '../../errors.js';
import type { BodySink, HttpResponse } from '../../net/http.js';
import { temporaryBeside } from '../../store/atomic-file.js';
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
  let output: Output | undefined;
  const sink = (head: { status: number; headers: Record<string, string> }): BodySink | undefined => {
    const toFile = outputFile(flags) !== undefined;
    if (head.status < 200 || head.status >= 300 || (!toFile && ctx.io.stdoutIsTTY)) return undefined;
    streamed = true;
    if (flags.include) printHead(ctx, head.status, head.headers);
    if (!toFile) return { write: (chunk) => writeStdout(ctx, chunk), maxBytes: MAX_STREAMED_BYTES };
    const file = openOutput(flags.output!);
    output = file;
    return { write: (chunk) => writeOutput(file.fd, chunk, flags.output!), maxBytes: MAX_STREAMED_BYTES };
  };
  return {
    sink,
    streamed: () => streamed,
    /** The answer arrived whole: -o now holds it. */
    done: () => {
      const file = output;
      output = undefined;
      file?.commit();
    },
    /** Whatever happened, no descriptor or half-written file stays behind. */
    close: () => {
      output?.abandon();
      output = undefined;
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

interface Output {
  fd: number;
  /** Closes it and puts it in place. */
  commit(): void;
  /** Closes it and leaves the file that was there as it was. */
  abandon(): void;
}

/**
 * -o is written beside the file and renamed over it once the answer is whole, so an answer cut short leaves the old
 * file as it was. Something that is not a regular file (/dev/null, a FIFO) is written to directly: it cannot be
 * replaced, and replacing it would be wrong.
 */
function openOutput(path: string): Output {
  try {
    if (!isRegularOrMissing(path)) {
      const fd = openSync(path, 'w');
      return { fd, commit: () => closeSync(fd), abandon: () => closeSync(fd) };
    }
    const temporary = temporaryBeside(path);
    const fd = openSync(temporary, 'wx');
    return {
      fd,
      commit: () => {
        closeSync(fd);
        try {
          renameSync(temporary, path);
        } catch (error) {
          rmSync(temporary, { force: true });
          throw cannotWrite(path, error);
        }
      },
      abandon: () => {
        closeSync(fd);
        rmSync(temporary, { force: true });
      },
    };
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw cannotWrite(path, error);
  }
}

function isRegularOrMissing(path: string): boolean {
  const stat = statSync(path, { throwIfNoEntry: false });
  return stat === undefined || stat.isFile();
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
    const output = openOutput(file);
    try {
      writeOutput(output.fd, response.body, file);
    } catch (error) {
      output.abandon();
      throw error;
    }
    output.commit();
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
