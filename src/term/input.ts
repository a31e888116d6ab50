// Reading tokens from stdin: one per line, streamed (10 000 tokens must not mean 10 000 tokens in memory), with a cap
// on a single line so a hostile or mistaken input cannot exhaust memory.
import type { Readable } from 'node:stream';
import { CliError } from '../errors.js';

export async function* readLines(
  stream: Readable,
  maxLineBytes: number,
): AsyncGenerator<{ line: string; number: number }> {
  let pending = '';
  let number = 0;
  stream.setEncoding?.('utf8');
  for await (const chunk of stream) {
    pending += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    let start = 0;
    for (let newline = pending.indexOf('\n'); newline !== -1; newline = pending.indexOf('\n', start)) {
      number++;
      yield { line: pending.slice(start, newline).replace(/\r$/, ''), number };
      start = newline + 1;
    }
    pending = pending.slice(start);
    if (pending.length > maxLineBytes) {
      throw new CliError('INPUT_TOO_LARGE', `Line ${number + 1} of stdin is longer than ${maxLineBytes} characters.`, {
        hint: 'Give one token per line.',
      });
    }
  }
  if (pending.length > 0) yield { line: pending.replace(/\r$/, ''), number: number + 1 };
}

/** Non-empty lines, trimmed. */
export async function* readTokens(
  stream: Readable,
  maxLineBytes: number,
): AsyncGenerator<{ token: string; number: number }> {
  for await (const { line, number } of readLines(stream, maxLineBytes)) {
    const token = line.trim();
    if (token) yield { token, number };
  }
}

/**
 * The first line of stdin (a secret, a passphrase, a token), the one reader of it a run has (commands/shared/stdin-readers.ts
 * refuses two): stopping after it ends the stream, so nothing else could read the rest.
 */
export async function readFirstLine(stream: Readable, maxLineBytes: number): Promise<string | undefined> {
  for await (const { line } of readLines(stream, maxLineBytes)) return line;
  return undefined;
}
