// A cross-process lock: a file created with O_EXCL naming its owner (pid, host, a nonce), whose mtime the owner renews
// while it holds the lock (a heartbeat). Written by hand because the maintained lock libraries are either unmaintained
// or judge staleness by age alone, and age is exactly what must not count: a refresh against a slow token endpoint may
// take minutes, and breaking its lock means the same refresh token is presented twice (servers then revoke the grant).
// So a lock is stale only when its owner is gone. On this host that means its pid is dead, and nothing else: a pause
// (SIGSTOP, a laptop suspend, an NTP step) stops the heartbeat or jumps the clock while the owner is alive. The
// heartbeat, renewed while the lock is held, is only for an owner on another host sharing the directory (a shared
// home), whose pid cannot be asked. Waiting is bounded, and only the owner releases.
import { readFileSync, rmSync } from 'node:fs';
import { mkdir, open, readFile, rm, stat, utimes } from 'node:fs/promises';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { CliError } from '../errors.js';

export interface LockOptions {
  /** How long to wait for a live owner before LOCK_TIMEOUT. */
  timeoutMs?: number;
  /** How long the heartbeat of an owner on another host may go unrenewed, by the waiter's clock, before it counts as gone. */
  staleMs?: number;
  /** How often the owner renews its heartbeat. */
  heartbeatMs?: number;
  signal?: AbortSignal | undefined;
  /** The waiter's clock (milliseconds); only differences of its own readings are used. */
  now?: () => number;
  /** How the waiter pauses between attempts. */
  sleep?: (ms: number) => Promise<void>;
  /** Called once, when the lock is found held by a live owner. */
  onWait?: (ownerPid: number | undefined) => void;
  /** Whether a pid is alive on this host. */
  isAlive?: (pid: number) => boolean;
}

export const LOCK_DEFAULTS = { timeoutMs: 30_000, staleMs: 20_000, heartbeatMs: 2_000 } as const;

export async function withFileLock<T>(path: string, work: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const release = await acquire(path, options);
  try {
    return await work();
  } finally {
    await release();
  }
}

interface Owner {
  pid: number | undefined;
  host: string | undefined;
}

function parseOwner(text: string): Owner {
  // "<pid> <host> <nonce>"; locks of earlier versions were "<pid> <nonce>", written on this host.
  const parts = text.trim().split(' ');
  const pid = Number(parts[0]);
  return { pid: Number.isInteger(pid) && pid > 0 ? pid : undefined, host: parts.length >= 3 ? parts[1] : undefined };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, owned by someone else.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

async function acquire(path: string, options: LockOptions): Promise<() => Promise<void>> {
  const { timeoutMs, staleMs, heartbeatMs } = { ...LOCK_DEFAULTS, ...definedOnly(options) };
  const now = options.now ?? Date.now;
  const isAlive = options.isAlive ?? pidAlive;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new CliError('STORE_FAILED', `Cannot create ${dirname(path)}: ${(error as Error).message}`, {
      hint: 'Check that the state directory (XDG_STATE_HOME) is a writable directory.',
    });
  }
  const host = hostname().replace(/\s+/g, '_') || 'localhost';
  const token = `${process.pid} ${host} ${randomBytes(8).toString('hex')}`;
  const deadline = now() + timeoutMs;
  // What the waiter last saw of the lock (its owner line and heartbeat) and since when, by its own clock.
  let seen: { identity: string; since: number } | undefined;
  let announced = false;
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(token);
      await handle.close();
      return hold(path, token, heartbeatMs);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new CliError('STORE_FAILED', `Cannot create the lock file ${path}: ${(error as Error).message}`, {
          hint: `Check that ${dirname(path)} is writable.`,
        });
      }
    }
    const observed = await observe(path);
    if (observed) {
      const identity = `${observed.text}\n${observed.mtimeMs}`;
      if (seen?.identity !== identity) seen = { identity, since: now() };
      const owner = parseOwner(observed.text);
      const here = owner.pid !== undefined && (owner.host === undefined || owner.host === host);
      const ownerGone = here ? !isAlive(owner.pid!) : now() - seen.since > staleMs;
      if (ownerGone) {
        await breakIfUnchanged(path, observed.text);
        seen = undefined;
        continue;
      }
      if (!announced) {
        announced = true;
        options.onWait?.(owner.pid);
      }
    }
    if (options.signal?.aborted) throw new CliError('CANCELLED', 'Cancelled.');
    if (now() > deadline) {
      throw new CliError(
        'LOCK_TIMEOUT',
        `Another oauth process still holds ${path} after ${Math.round(timeoutMs / 1000)}s (it is alive and renewing it).`,
        {
          hint: 'Wait for it to finish and try again; if no other oauth is running, delete that file.',
        },
      );
    }
    await sleep(Math.min(100, 10 + attempt * 5) + Math.random() * 10);
  }
}

/** The owner's side: renew the heartbeat while holding; release only a lock that is still ours. */
function hold(path: string, token: string, heartbeatMs: number): () => Promise<void> {
  const beat = setInterval(() => {
    void readFile(path, 'utf8')
      .then((owner) => (owner === token ? utimes(path, new Date(), new Date()) : undefined))
      .catch(() => undefined);
  }, heartbeatMs);
  beat.unref();
  // A run that ends at once (a second Ctrl-C) runs no finally block: the lock still goes with it, if it is still ours.
  const onExit = () => {
    try {
      if (readFileSync(path, 'utf8') === token) rmSync(path, { force: true });
    } catch {
      // Gone already, or unreadable: the next run judges it by its dead owner.
    }
  };
  process.once('exit', onExit);
  return async () => {
    clearInterval(beat);
    process.removeListener('exit', onExit);
    const owner = await readFile(path, 'utf8').catch(() => '');
    if (owner === token) await rm(path, { force: true });
  };
}

async function observe(path: string): Promise<{ text: string; mtimeMs: number } | undefined> {
  try {
    const [info, text] = await Promise.all([stat(path), readFile(path, 'utf8')]);
    return { text, mtimeMs: info.mtimeMs };
  } catch {
    return undefined; // gone already: try again
  }
}

/** Another waiter may have broken it and taken the lock since we looked: remove only what we judged gone. */
async function breakIfUnchanged(path: string, judged: string): Promise<void> {
  const current = await readFile(path, 'utf8').catch(() => undefined);
  if (current === judged) await rm(path, { force: true });
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>;
}
