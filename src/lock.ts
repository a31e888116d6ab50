// A cross-process lock: a file created with O_EXCL holding the owner's pid. Written by hand because the maintained
// lock libraries are either unmaintained or pull in retry/graceful-fs machinery; the rules here are few: bounded
// waiting, stale locks (dead owner, or older than any refresh can take) are broken, and only the owner releases.
import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CliError } from './errors.js';

export interface LockOptions {
  timeoutMs?: number;
  staleMs?: number;
  signal?: AbortSignal | undefined;
}

export async function withFileLock<T>(path: string, work: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const release = await acquire(path, options);
  try {
    return await work();
  } finally {
    await release();
  }
}

async function acquire(path: string, { timeoutMs = 30_000, staleMs = 60_000, signal }: LockOptions): Promise<() => Promise<void>> {
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new CliError('STORE_FAILED', `Cannot create ${dirname(path)}: ${(error as Error).message}`, {
      hint: 'Check that the state directory (XDG_STATE_HOME) is a writable directory.',
    });
  }
  const token = `${process.pid} ${randomBytes(8).toString('hex')}`;
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(token);
      await handle.close();
      return async () => {
        const owner = await readFile(path, 'utf8').catch(() => '');
        if (owner === token) await rm(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new CliError('STORE_FAILED', `Cannot create the lock file ${path}: ${(error as Error).message}`, {
          hint: `Check that ${dirname(path)} is writable.`,
        });
      }
    }
    if (await isStale(path, staleMs)) {
      await rm(path, { force: true });
      continue;
    }
    if (signal?.aborted) throw new CliError('CANCELLED', 'Cancelled.');
    if (Date.now() > deadline) {
      throw new CliError('LOCK_TIMEOUT', `Another oauth process has held ${path} for over ${Math.round(timeoutMs / 1000)}s.`, {
        hint: 'If no other oauth is running, delete that file.',
      });
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(100, 10 + attempt * 5) + Math.random() * 10));
  }
}

async function isStale(path: string, staleMs: number): Promise<boolean> {
  try {
    const [info, owner] = await Promise.all([stat(path), readFile(path, 'utf8')]);
    if (Date.now() - info.mtimeMs > staleMs) return true;
    const pid = Number(owner.split(' ')[0]);
    if (!Number.isInteger(pid) || pid <= 0) return Date.now() - info.mtimeMs > 1000;
    try {
      process.kill(pid, 0);
      return false;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ESRCH';
    }
  } catch {
    return false; // gone already, or being written: try again
  }
}
