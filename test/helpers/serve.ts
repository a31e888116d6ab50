// `oauth serve --json` as a real process: the first line it prints (issuer, clients, keys) read, stopped with Ctrl-C.
// Every server a test file starts is killed after the file (stopEveryServe in afterAll), even when a test failed.
import { type ChildProcess, type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';

export const BIN = join(import.meta.dirname, '..', '..', 'bin', 'oauth.js');
const running: ChildProcess[] = [];

/** Kills what this file started and did not stop: a child left running would hold the test run open. */
export function stopEveryServe(): void {
  for (const child of running) child.kill('SIGKILL');
}

/** A process of the test's own (a script that runs oauth serve) to kill with the rest. */
export function killAfterFile(child: ChildProcess): void {
  running.push(child);
}

export interface Served {
  child: ChildProcessWithoutNullStreams;
  info: {
    issuer: string;
    audience: string;
    access_tokens: string;
    jwks_uri: string;
    keys: string;
    mintable: boolean;
    registration: boolean;
    features: string[];
    dpop_nonce_required: boolean;
    par_required: boolean;
    client_key: string;
    api: string;
    api_metadata: string;
    lax_api?: string;
    lax_api_metadata?: string;
    mtls?: { origin: string; ca_file: string; cert: string; key: string; api: string; api_metadata: string };
    clients: Array<{ client_id: string; client_secret?: string; grant_types: string[]; redirect_uris: string[] }>;
  };
  stop(): Promise<number | null>;
  /** What it printed on stderr so far (all of it once stop() resolved). */
  stderr(): string;
}

export async function serve(env: Record<string, string | undefined>, ...args: string[]): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--json', ...args], {
    env: { PATH: process.env.PATH, ...env } as NodeJS.ProcessEnv,
  });
  running.push(child);
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const info = await new Promise<Served['info']>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('serve printed nothing')), 15_000);
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (stdout.includes('\n')) {
        clearTimeout(timer);
        resolve(JSON.parse(stdout.split('\n')[0]!));
      }
    });
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return { child, info, stop: () => (child.kill('SIGINT'), exited), stderr: () => stderr };
}
