// Runs the CLI in-process with in-memory streams (like gh's iostreams.Test()), or as a real process from bin/.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli.js';
import { bufferIO } from '../../src/term/io-buffer.js';
import { recordRun } from './leak-scan.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A private HOME with XDG directories, so no test reads or writes the developer's config, cache or tokens. */
export function sandboxEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const home = mkdtempSync(join(tmpdir(), 'oauth-test-'));
  return {
    HOME: home,
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_CACHE_HOME: join(home, 'cache'),
    XDG_STATE_HOME: join(home, 'state'),
    ...extra,
  };
}

/** A private home whose file store (OAUTH_STORE=file) holds exactly `contents` as its token file. */
export function sandboxWithTokenFile(contents: string): { env: Record<string, string | undefined>; file: string } {
  const env = sandboxEnv({ OAUTH_STORE: 'file' });
  const dir = join(env.XDG_STATE_HOME!, 'oauth');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'tokens.json');
  writeFileSync(file, contents);
  return { env, file };
}

export async function runCli(
  args: string[],
  options: { stdin?: string; env?: Record<string, string | undefined>; tty?: boolean } = {},
): Promise<CliResult> {
  const io = bufferIO({ stdin: options.stdin ?? '', env: options.env ?? sandboxEnv(), tty: options.tty ?? false });
  const code = await main(args, io);
  recordRun(args, io.out(), io.err());
  return { code, stdout: io.out(), stderr: io.err() };
}

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'oauth.js');

/** The built CLI as a user runs it: a real process, real pipes, a bounded wait. */
export function spawnCli(
  args: string[],
  options: { stdin?: string; env?: Record<string, string | undefined>; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH, ...(options.env ?? sandboxEnv()) } as NodeJS.ProcessEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`oauth ${args.join(' ')} did not finish in ${options.timeoutMs ?? 20000} ms`));
    }, options.timeoutMs ?? 20000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      recordRun(args, stdout, stderr);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    // A run that exits before reading its stdin (a usage error) closes the pipe: that is no failure of the test.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin ?? '');
  });
}

export interface RunningCli {
  child: ChildProcess;
  /** Resolves with the first match of `pattern` in what the run printed on stderr so far (rejects after `timeoutMs`). */
  stderrMatch(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** The run's end: its exit code (-1 for a signal) and everything it printed. */
  finished: Promise<CliResult>;
}

/**
 * The built CLI as a real process the test talks to while it runs: it waits for a line on stderr (a sign-in URL, a
 * device code) and acts on it — a browser, a Ctrl-C. The run is recorded for the leak scan like any other.
 */
export function startCli(args: string[], options: { env?: Record<string, string | undefined> } = {}): RunningCli {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH, ...(options.env ?? sandboxEnv()) } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const finished = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      recordRun(args, stdout, stderr);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
  function stderrMatch(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const look = () => {
        const found = pattern.exec(stderr);
        if (!found) return false;
        clearTimeout(timer);
        child.stderr!.off('data', look);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        child.stderr!.off('data', look);
        reject(new Error(`oauth ${args.join(' ')} printed no ${pattern} in ${timeoutMs} ms: ${stderr}`));
      }, timeoutMs);
      if (!look()) child.stderr!.on('data', look);
    });
  }
  return { child, stderrMatch, finished };
}

/** What a user must never see: a JavaScript stack trace. */
export const STACK_TRACE = /\n\s+at .+\(.*:\d+:\d+\)|\n\s+at .+:\d+:\d+/;
