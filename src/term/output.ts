// All printing goes through here: results to stdout, everything else to stderr, color only where it belongs. chalk is
// loaded only when a stream will actually be colored: a pipe or NO_COLOR costs nothing at start-up.
import type { IO } from './io.js';
import type { CliError } from '../errors.js';
import { printableJson, printableJsonText, singleLine } from './printable.js';
import { redactJson, redactKnownJson, redactText, redactUrlCredentials, SecretRegistry } from '../redact.js';

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

/**
 * Our colours must survive the printable filter and a server's must not, and both are the same bytes. So a style
 * escapes what it wraps, and writes chalk's escape character as a marker with a nonce made for this run, which no
 * text from outside can contain; the writer turns markers back into ESC on a coloured stream (and drops them on
 * any other) after escaping everything else.
 */
async function styleFor(level: 0 | 1 | 2 | 3, marker: string): Promise<Style> {
  if (level === 0) return plain;
  const { Chalk } = await import('chalk');
  const chalk = new Chalk({ level });
  const wrap = (paint: (text: string) => string) => (text: string) =>
    paint(singleLine(text)).replaceAll('\u001b', marker);
  return {
    bold: wrap(chalk.bold),
    dim: wrap(chalk.dim),
    red: wrap(chalk.red),
    green: wrap(chalk.green),
    yellow: wrap(chalk.yellow),
    cyan: wrap(chalk.cyan),
  };
}

export interface OutputOptions {
  json: boolean;
  /** false for --no-color; otherwise decided from the streams and the environment. */
  color: boolean | undefined;
  debug: boolean;
  verbosity: number;
}

/** For a result the user explicitly asked for raw: these secrets are printed whole (every other one is still redacted). */
export interface Reveal {
  reveal?: readonly string[];
}

/**
 * What a command prints: one line, or several as a list. Each line stays one line whatever it quotes (a newline in it
 * is shown escaped), so text from outside can never start a line that reads like ours.
 */
export type Lines = string | readonly string[];

export interface Output {
  readonly json: boolean;
  readonly verbosity: number;
  /** Styles for stdout and stderr (plain functions when color is off). */
  readonly style: Style;
  readonly errStyle: Style;
  /** The run's secret registry: whatever is added here is redacted from everything printed, from then on. */
  readonly secrets: SecretRegistry;
  /** Writes a result (human form) to stdout: known secrets redacted, printable, each line one line. */
  result(text: Lines, options?: Reveal): void;
  /**
   * Writes a result the user asked for byte-exact (an API's body): not redacted, not made printable. Only where stdout
   * is not a terminal; a command shows such a result on a terminal as text, through `result`.
   */
  bytes(data: Uint8Array): void;
  /** Writes one JSON document (one line) to stdout: known secrets redacted, exact JSON otherwise. */
  jsonResult(value: unknown, options?: Reveal): void;
  /** Writes JSON lines already serialized (a batch): known secrets redacted, control characters escaped. */
  jsonText(text: string): void;
  info(text: Lines): void;
  /** `reveal`: secrets the text is known not to hold, though it may hold the same words (a short password's). */
  warn(text: string, options?: Reveal): void;
  /** A warning shown at most once per run for the same key. */
  warnOnce(key: string, text: string, options?: Reveal): void;
  trace(text: Lines): void;
  error(error: CliError): void;
  /** Text as it may reach stderr (redacted, printable), for code that draws on the terminal itself (a spinner). */
  clean(text: string): string;
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

/**
 * The one printer. Every line passes the secret registry and the printable filter on its way out, whoever wrote it and
 * wherever its text came from; styling is ours, so only our own colour sequences survive, and only on coloured streams.
 */
export async function createOutput(io: IO, options: OutputOptions, secrets = new SecretRegistry()): Promise<Output> {
  const outLevel = colorLevel(io, io.stdoutIsTTY, options.color);
  const errLevel = colorLevel(io, io.stderrIsTTY, options.color);
  const marker = `\ue000${Math.random().toString(36).slice(2, 12)}\ue001`;
  const style = await styleFor(outLevel, marker);
  const errStyle = await styleFor(errLevel, marker);
  // A styled string may be written to the other stream: each writer restores or drops the markers for itself.
  const unmark = (colored: boolean) => (text: string) =>
    text.includes(marker) ? text.replace(new RegExp(`${marker}(\\[[0-9;]*m)`, 'g'), colored ? '\u001b$1' : '') : text;
  const [outMarks, errMarks] = [unmark(outLevel > 0), unmark(errLevel > 0)];
  const lines = (text: Lines) => (typeof text === 'string' ? [text] : text);
  const warned = new Set<string>();
  const redact = (text: string) => redactText(text, secrets);
  // What an error quotes from a server is bounded here, after redaction: a cut before it could leave the head of a
  // secret, which matches nothing the registry knows.
  const quoted = (text: string, reveal: readonly string[] = []) =>
    bounded(redactText(text, secrets, reveal), ERROR_TEXT_LIMIT);
  /** One line as it reaches stderr: redacted (or redacted and bounded), printable, one line, coloured if ours. */
  const errLine = (text: string, clean: (text: string) => string = redact) => errMarks(singleLine(clean(text)));
  const stderr = (text: Lines) =>
    io.stderr.write(
      lines(text)
        .map((one) => `${errLine(one)}\n`)
        .join(''),
    );
  // Errors, hints and warnings quote servers: what they quote is bounded too.
  const line = (text: string, reveal: readonly string[] = []) =>
    io.stderr.write(`${errLine(text, (one) => quoted(one, reveal))}\n`);
  const warn = (text: string, { reveal = [] }: Reveal = {}) => line(`${errStyle.yellow('warning:')} ${text}`, reveal);

  return {
    json: options.json,
    verbosity: options.verbosity,
    style,
    errStyle,
    secrets,
    // Results, like --json, are redacted by the registry only: every secret a run handles is in it, and the shape-based
    // rules (a JWT, "code=…") would stub what a result is about, such as a claim holding a nested token. A URL's
    // user:password@ is the exception: a server's string (registration_client_uri) may carry one the run never knew.
    result: (text, { reveal = [] } = {}) =>
      io.stdout.write(
        lines(text)
          .map((line) => `${outMarks(singleLine(redactUrlCredentials(secrets.redact(line, reveal))))}\n`)
          .join(''),
      ),
    jsonResult: (value, { reveal = [] } = {}) =>
      io.stdout.write(
        `${printableJson(redactKnownJson(value, (text) => redactUrlCredentials(secrets.redact(text, reveal))))}\n`,
      ),
    bytes: (data) =>
      io.stdout.writeBytes ? io.stdout.writeBytes(data) : io.stdout.write(Buffer.from(data).toString('utf8')),
    jsonText: (text) => io.stdout.write(printableJsonText(secrets.redact(text))),
    info: stderr,
    warn,
    warnOnce: (key, text, options) => {
      if (warned.has(key)) return;
      warned.add(key);
      warn(text, options);
    },
    trace: (text) => stderr(lines(text).map((line) => errStyle.dim(line))),
    error: (error) => {
      if (options.json) {
        const body: Record<string, unknown> = {
          code: error.code,
          message: quoted(error.message),
          exitCode: error.exitCode,
        };
        if (error.hint) body.hint = quoted(error.hint);
        if (error.details) body.details = boundedJson(redactJson(error.details, secrets));
        io.stderr.write(`${printableJson({ error: body })}\n`);
      } else {
        line(`${errStyle.red(`error[${error.code}]:`)} ${error.message}`);
        if (error.hint) line(`${errStyle.dim('hint:')} ${error.hint}`);
      }
      if (options.debug && error.stack) stderr(stackOf(error).split('\n'));
    },
    clean: (text) => errLine(text),
  };
}

const ERROR_TEXT_LIMIT = 2000;
/**
 * A string in an error's details is a value a server sent (a challenge, a description), quoted as the human message
 * quotes it: bounded tighter, since a secret cut into pieces the redactor cannot recognise must not come out whole.
 */
const DETAIL_TEXT_LIMIT = 300;

function bounded(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit)}… (${text.length - limit} more characters)`;
}

function boundedJson(value: unknown): unknown {
  if (typeof value === 'string') return bounded(value, DETAIL_TEXT_LIMIT);
  if (Array.isArray(value)) return value.map(boundedJson);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, boundedJson(child)]));
  return value;
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
