// What `oauth curl`'s flags send, read as curl reads them: -H headers, and the body of -d, --data-binary or --json
// (a value, @file, or @- for stdin) with the content type curl gives each.
import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { CliError } from '../../errors.js';

/** The largest request body read from a file or stdin. */
export const MAX_UPLOAD_BYTES = 100 * 1024 * 1024;

export interface BodyFlags {
  readonly data?: readonly string[] | undefined;
  readonly dataBinary?: string | undefined;
  readonly json?: string | undefined;
}

export interface Body {
  data: string | Buffer;
  headers: Record<string, string>;
}

/** -d, --data-binary or --json; at most one of them. */
export async function requestBody(flags: BodyFlags, stdin: Readable): Promise<Body | undefined> {
  const given = [flags.data !== undefined, flags.dataBinary !== undefined, flags.json !== undefined].filter(Boolean);
  if (given.length > 1) throw new CliError('USAGE', 'Give one of -d, --data-binary and --json.');
  const read = (value: string, origin: string) =>
    value === '@-' ? readStream(stdin, origin, '@- (stdin)') : readFile(value.slice(1), origin);
  if (flags.data !== undefined) {
    // curl reads -d @file as text and drops its line breaks; several -d are joined with &.
    const parts: string[] = [];
    for (const part of flags.data)
      parts.push(part.startsWith('@') ? (await read(part, '-d')).toString('utf8').replace(/[\r\n]/g, '') : part);
    return { data: parts.join('&'), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
  }
  if (flags.dataBinary !== undefined) {
    const data = flags.dataBinary.startsWith('@') ? await read(flags.dataBinary, '--data-binary') : flags.dataBinary;
    return { data, headers: { 'content-type': 'application/x-www-form-urlencoded' } };
  }
  if (flags.json !== undefined) {
    const data = flags.json.startsWith('@') ? await read(flags.json, '--json') : flags.json;
    return { data, headers: { 'content-type': 'application/json', accept: 'application/json' } };
  }
  return undefined;
}

function tooLarge(origin: string, what: string): CliError {
  return new CliError('INPUT_TOO_LARGE', `${origin} ${what} is larger than ${MAX_UPLOAD_BYTES / 1024 / 1024} MiB.`, {
    hint: 'Send a smaller body; this is no upload tool for large files.',
  });
}

/**
 * A regular file, read whole (its size checked first, so nothing is allocated for a file too large to send); a pipe
 * (process substitution, <(command)) read up to the cap.
 */
async function readFile(path: string, origin: string): Promise<Buffer> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new CliError(
      'FILE_UNREADABLE',
      `Cannot read ${origin} @${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}.`,
    );
  }
  try {
    const stats = fstatSync(fd);
    if (stats.isFIFO()) return await readStream(createReadStream('', { fd, autoClose: false }), origin, `@${path}`);
    if (!stats.isFile())
      throw new CliError('FILE_UNREADABLE', `${origin} @${path} is not a regular file.`, {
        hint: 'Give a file, a pipe such as <(command), or @- to read the body from stdin.',
      });
    if (stats.size > MAX_UPLOAD_BYTES) throw tooLarge(origin, `@${path}`);
    const buffer = Buffer.alloc(stats.size);
    let length = 0;
    while (length < buffer.length) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

async function readStream(stream: Readable, origin: string, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += bytes.length;
    if (size > MAX_UPLOAD_BYTES) {
      stream.destroy();
      throw tooLarge(origin, what);
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * -X: a token (RFC 9110 §9), and not CONNECT, which asks for a tunnel, not an answer (the HTTP client refuses it). Said
 * here, before any request, as the user's mistake.
 */
export function parseMethod(method: string): string {
  if (!TOKEN.test(method))
    throw new CliError(
      'USAGE',
      `-X ${JSON.stringify(method)} is not an HTTP method (RFC 9110 §9: a token, such as PUT).`,
    );
  if (method.toUpperCase() === 'CONNECT')
    throw new CliError('USAGE', '-X CONNECT asks for a tunnel, not an answer: oauth curl cannot send it.', {
      hint: 'Use HTTPS_PROXY to go through a proxy.',
    });
  return method;
}

/**
 * RFC 9110 §5.5 field-value: visible characters, space, tab and obs-text (0x80-0xff); no other control character
 * (an escape sequence, a line break that would start a header of its own).
 */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** -H "Name: value" as curl reads it. */
export function parseHeaders(lines: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const match = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/s.exec(line);
    if (!match || /[\r\n]/.test(match[2]!)) {
      throw new CliError('USAGE', `-H needs "Name: value" on one line, not ${JSON.stringify(line)}.`);
    }
    if (!FIELD_VALUE.test(match[2]!))
      throw new CliError(
        'USAGE',
        `-H ${match[1]}: the value ${JSON.stringify(match[2])} holds a character a header cannot carry (RFC 9110 §5.5: no control character but tab, nothing beyond Latin-1; text that is not UTF-8 arrives as U+FFFD).`,
      );
    const name = match[1]!.toLowerCase();
    headers[name] = headers[name] !== undefined ? `${headers[name]}, ${match[2]}` : match[2]!;
  }
  return headers;
}
