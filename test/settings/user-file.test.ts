// Files the user names: a regular file or a pipe of modest size is read. A device or a directory is exit 2 naming the
// flag at once, and so is a huge file; a pipe is read without ever blocking (a blocked synchronous read is where Ctrl-C
// cannot reach), so a named pipe nobody writes to is exit 2 at once, and process substitution works.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as jose from 'jose';
import { describe, expect, it } from 'vitest';
import type { CliError } from '../../src/errors.js';
import { MAX_USER_FILE_BYTES, readUserFile } from '../../src/settings/user-file.js';
import { sandboxEnv, spawnCli, STACK_TRACE } from '../helpers/cli.js';
import { b64 } from '../helpers/tokens.js';

const dir = mkdtempSync(join(tmpdir(), 'oauth-user-files-'));
const fifo = join(dir, 'fifo');
execFileSync('mkfifo', [fifo]);

function failure(path: string): CliError {
  try {
    readUserFile(path, '--key');
  } catch (error) {
    return error as CliError;
  }
  throw new Error(`${path} was read`);
}

describe('readUserFile', () => {
  it('reads a regular file up to the cap', () => {
    const file = join(dir, 'at-cap');
    writeFileSync(file, 'x'.repeat(MAX_USER_FILE_BYTES));
    expect(readUserFile(file, '--key').length).toBe(MAX_USER_FILE_BYTES);
  });

  it('refuses a FIFO, a device, a directory, a file past the cap and a missing file: exit 2 naming the flag and the path', () => {
    const large = join(dir, 'large');
    writeFileSync(large, '');
    truncateSync(large, MAX_USER_FILE_BYTES + 1);
    const cases: Array<[string, RegExp]> = [
      [fifo, /is a pipe that gave nothing to read/],
      ['/dev/zero', /is a device, not a regular file/],
      [dir, /is a directory, not a regular file/],
      [large, /is larger than 1024 KiB/],
      [join(dir, 'missing'), /Cannot read --key .*ENOENT/],
    ];
    for (const [path, words] of cases) {
      const error = failure(path);
      expect({ path, code: error.code, exit: error.exitCode }).toEqual({ path, code: 'FILE_UNREADABLE', exit: 2 });
      expect(error.message).toContain(`--key ${path}`);
      expect(error.message).toMatch(words);
    }
  });
});

describe('a pipe', () => {
  it('is read whole when a program writes to it: process substitution keeps a secret off argv and off disk', async () => {
    const secret = 'a-shared-secret-for-hs256-0123456789';
    const token = await new jose.SignJWT({ sub: 'a' })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(secret));
    const bin = join(import.meta.dirname, '..', '..', 'bin', 'oauth.js');
    const script = `"${process.execPath}" "${bin}" decode "$TOKEN" --verify --secret-file <(printf '%s' "$SECRET")`;
    const stdout = execFileSync('bash', ['-c', script], {
      env: { ...sandboxEnv(), PATH: process.env.PATH, TOKEN: token, SECRET: secret },
      timeout: 20_000,
    }).toString();
    expect(stdout).toContain('✓ valid');
  });

  it('Ctrl-C while a program that writes to it still runs is a cancellation (exit 130), not an empty pipe', async () => {
    const bin = join(import.meta.dirname, '..', '..', 'bin', 'oauth.js');
    const script = `exec "${process.execPath}" "${bin}" token --client-credentials --issuer https://id.example.invalid --client-id c --client-secret-file <(sleep 30)`;
    // Its own process group, as a terminal makes one: Ctrl-C reaches the CLI and the writer alike.
    const child = spawn('bash', ['-c', script], { env: { ...sandboxEnv(), PATH: process.env.PATH }, detached: true });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const code = new Promise<number | null>((resolve) => child.on('close', resolve));
    await new Promise((resolve) => setTimeout(resolve, 700));
    process.kill(-child.pid!, 'SIGINT');
    expect(await code, stderr).toBe(130);
    expect(stderr).toContain('error[CANCELLED]');
  });
});

describe('every flag that names a file refuses a pipe nobody writes to with exit 2 before any request', () => {
  const token = `${b64({ alg: 'RS256' })}.${b64({ sub: 'a' })}.AAAA`;
  const unreachable = 'http://127.0.0.1:9';
  const commands: Array<[string, string[]]> = [
    ['--key', ['decode', token, '--verify', '--key', fifo]],
    ['--jwks', ['decode', token, '--verify', '--jwks', fifo]],
    ['--secret-file', ['decode', token, '--verify', '--secret-file', fifo]],
    ['--ca-file', ['decode', token, '--verify', '--jwks', 'https://127.0.0.1:9/jwks', '--ca-file', fifo]],
    [
      '--private-key',
      ['token', '--client-credentials', '--issuer', unreachable, '--client-id', 'c', '--private-key', fifo],
    ],
    [
      '--client-secret-file',
      ['token', '--client-credentials', '--issuer', unreachable, '--client-id', 'c', '--client-secret-file', fifo],
    ],
    ['--client-file', ['check', '--issuer', unreachable, '--client-file', fifo]],
  ];
  it.each(commands)('%s', async (flag, args) => {
    // A real process with a bounded wait: a blocking read of a FIFO would never return.
    const result = await spawnCli(args, { env: sandboxEnv(), timeoutMs: 10_000 });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(`${flag} ${fifo} is a pipe that gave nothing to read`);
    expect(result.stderr).not.toMatch(STACK_TRACE);
  });

  it('OAUTH_CA_FILE is named as the source', async () => {
    const result = await spawnCli(['decode', token, '--verify', '--jwks', 'https://127.0.0.1:9/jwks'], {
      env: sandboxEnv({ OAUTH_CA_FILE: fifo }),
      timeoutMs: 10_000,
    });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(`OAUTH_CA_FILE ${fifo} is a pipe that gave nothing to read`);
  });
});
