// The running server's record as mint and check --api read it: believed only when it is this user's own small regular
// file and names the very process that wrote it (pid and start time); a second server hands the record back on stop.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clearRunning, processStarted, recordRunning, runningFile, runningServer } from '../../src/serve/running.js';
import { sandboxEnv, spawnCli } from '../helpers/cli.js';

const onLinux = existsSync('/proc/self/stat');
const stateDir = () => mkdtempSync(join(tmpdir(), 'oauth-running-'));
const server = { issuer: 'http://127.0.0.1:9411', audience: 'https://api.example', alg: 'RS256', ephemeral: false };

function place(dir: string, text: string): string {
  const file = runningFile(dir);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, text, { mode: 0o600 });
  return file;
}

describe.runIf(onLinux)('the running record', () => {
  it("is this process's own record: read back while it runs", async () => {
    const dir = stateDir();
    expect(await recordRunning(dir, server)).toBeUndefined();
    expect(await runningServer(dir)).toMatchObject({ pid: process.pid, ...server });
  });

  it('is not believed for a live pid that is not the process that wrote it (pid 1, a reused pid)', async () => {
    const dir = stateDir();
    place(dir, JSON.stringify({ pid: 1, ...server }));
    expect(await runningServer(dir)).toBeUndefined();
    place(dir, JSON.stringify({ pid: process.pid, ...server, started: '1' }));
    expect(await runningServer(dir)).toBeUndefined();
  });

  it('is not read through a link, nor when others may write it, nor when it is too large', async () => {
    const dir = stateDir();
    await recordRunning(dir, server);
    const good = readFileSync(runningFile(dir), 'utf8');
    const elsewhere = join(stateDir(), 'planted.json');
    writeFileSync(elsewhere, good, { mode: 0o600 });
    const link = stateDir();
    mkdirSync(join(runningFile(link), '..'), { recursive: true });
    symlinkSync(elsewhere, runningFile(link));
    expect(await runningServer(link)).toBeUndefined();

    const writable = stateDir();
    chmodSync(place(writable, good), 0o666);
    expect(await runningServer(writable)).toBeUndefined();

    const large = stateDir();
    place(large, `${good.trimEnd()}${' '.repeat(8192)}`);
    expect(await runningServer(large)).toBeUndefined();
  });

  it('a FIFO in its place is refused at once, not waited on: oauth mint runs with its defaults', async () => {
    const env = sandboxEnv();
    const file = runningFile(join(env.XDG_STATE_HOME!, 'oauth'));
    mkdirSync(join(file, '..'), { recursive: true });
    execFileSync('mkfifo', [file]);
    const minted = await spawnCli(['mint'], { env, timeoutMs: 10_000 });
    expect(minted.code, minted.stderr).toBe(0);
    expect(minted.stderr).not.toContain('running oauth serve');
  });

  it('a second server takes the record over and, stopping, hands it back to the first if it still runs', async () => {
    const dir = stateDir();
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
    try {
      const first = { pid: sleeper.pid!, ...server, started: processStarted(sleeper.pid!)! };
      place(dir, `${JSON.stringify(first)}\n`);
      expect(await runningServer(dir)).toEqual(first);
      const replaced = await recordRunning(dir, { ...server, issuer: 'http://127.0.0.1:9412' });
      expect(replaced).toEqual(first);
      expect((await runningServer(dir))?.pid).toBe(process.pid);
      await clearRunning(dir, replaced);
      expect(await runningServer(dir)).toEqual(first);
    } finally {
      sleeper.kill('SIGKILL');
    }
  });
});
