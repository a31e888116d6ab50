// All printing goes through here: results to stdout, everything else to stderr, color only where it belongs. chalk is
// loaded only when a stream will actually be colored: a pipe or NO_COLOR costs nothing at start-up.
import type { IO } from './io.js';
import type { CliError } from './errors.js';
import { redactText } from './redact.js';

/** The styles we use; a chalk instance has them, and so does the plain one. */
export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

const same = (text: string) => text;
export const plain: Style = { bold: same, dim: same, red: same, green: same, yellow: same, cyan: same };

async function styleFor(level: 0 | 1 | 2 | 3): Promise<Style> {
  if (level === 0) return plain;
  const { Chalk } = await import('chalk');
  return new Chalk({ level });
}

export interface OutputOptions {
  json: boolean;
  /** false for --no-color; otherwise decided from the streams and the environment. */
  color: boolean | undefined;
  debug: boolean;
  verbosity: number;
}

export interface Output {
  readonly json: boolean;
  readonly verbosity: number;
  /** Styles for stdout and stderr (plain functions when color is off). */
  readonly style: Style;
  readonly errStyle: Style;
  /** Writes a result line to stdout. */
  result(text: string): void;
  /** Writes one JSON document (one line) to stdout. */
  jsonResult(value: unknown): void;
  info(text: string): void;
  warn(text: string): void;
  /** A trace line for -v; the caller has redacted it. */
  trace(text: string): void;
  error(error: CliError): void;
}

/** Color when the stream is a TTY, unless NO_COLOR or --no-color; FORCE_COLOR turns it on anywhere. */
export function colorLevel(io: IO, isTTY: boolean, flag: boolean | undefined): 0 | 1 | 2 | 3 {
  if (flag === false) return 0;
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '') return 0;
  const force = io.env.FORCE_COLOR;
  if (force !== undefined) {
    if (force === '0' || force === 'false') return 0;
    return force === '2' ? 2 : force === '3' ? 3 : 1;
  }
  if (!isTTY || io.env.TERM === 'dumb') return 0;
  return io.env.COLORTERM === 'truecolor' ? 3 : 1;
}

export async function createOutput(io: IO, options: OutputOptions): Promise<Output> {
  const style = await styleFor(colorLevel(io, io.stdoutIsTTY, options.color));
  const errStyle = await styleFor(colorLevel(io, io.stderrIsTTY, options.color));
  return {
    json: options.json,
    verbosity: options.verbosity,
    style,
    errStyle,
    result: (text) => io.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    jsonResult: (value) => io.stdout.write(`${JSON.stringify(value)}\n`),
    info: (text) => io.stderr.write(`${text}\n`),
    warn: (text) => io.stderr.write(`${errStyle.yellow('warning:')} ${redactText(text)}\n`),
    trace: (text) => io.stderr.write(`${errStyle.dim(text)}\n`),
    error: (error) => {
      if (options.json) {
        const body: Record<string, unknown> = { code: error.code, message: redactText(error.message), exitCode: error.exitCode };
        if (error.hint) body.hint = redactText(error.hint);
        if (error.details) body.details = error.details;
        io.stderr.write(`${JSON.stringify({ error: body })}\n`);
      } else {
        io.stderr.write(`${errStyle.red(`error[${error.code}]:`)} ${redactText(error.message)}\n`);
        if (error.hint) io.stderr.write(`${errStyle.dim('hint:')} ${redactText(error.hint)}\n`);
      }
      if (options.debug && error.stack) io.stderr.write(`${redactText(stackOf(error))}\n`);
    },
  };
}

function stackOf(error: Error): string {
  let text = error.stack ?? '';
  let cause = error.cause;
  while (cause instanceof Error) {
    text += `\ncaused by: ${cause.stack ?? cause.message}`;
    cause = cause.cause;
  }
  return text;
}
