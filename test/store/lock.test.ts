// The refresh lock: a lock is broken only when its owner is gone (a dead pid on this host, or a heartbeat nobody
// renews), never because it is old. The waiter's clock and pauses are injected: "ten minutes" pass in a few attempts,
// and the owner's heartbeat is played by the test between them.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withFileLock } from '../../src/store/lock.js';

const lockPath = () => join(mkdtempSync(join(tmpdir(), 'oauth-lock-')), 'locks', 'profile.lock');
const MINUTE = 60_000;

/** A clock the test moves: each pause of the waiter advances it by `step` and lets the test act (the owner's side). */
function fakeTime(step: number, between: (attempt: number) => void = () => undefined) {
  let now = 1_000_000;
  let attempt = 0;
  return {
    now: () => now,
    sleep: async () => {
      now += step;
      between(++attempt);
      await new Promise((resolve) => setImmediate(resolve));
    },
    attempts: () => attempt,
  };
}

/** A lock file as another process writes it: "<pid> <host> <nonce>". */
function foreignLock(path: string, pid: number, host = hostname().replace(/\s+/g, '_')) {
  mkdirSync(join(path, '..'), { recursive: true });
  const owner = `${pid} ${host} feedface00000000`;
  writeFileSync(path, owner);
  return owner;
}

function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('a lock held by a live owner that keeps renewing its heartbeat', () => {
  it('is waited for however long the owner takes — ten minutes of the waiter’s clock — and never broken', async () => {
    const path = lockPath();
    const owner = foreignLock(path, process.pid);
    let heartbeat = 0;
    const time = fakeTime(MINUTE, (attempt) => {
      // The owner renews its heartbeat every minute; after ten minutes its slow refresh ends and it releases.
      if (readFileSync(path, 'utf8') !== owner) throw new Error('the lock was taken from its live owner');
      if (attempt < 10) utimesSync(path, new Date(), new Date(Date.now() + ++heartbeat * 1000));
      else rmSync(path);
    });
    const events: string[] = [];
    await withFileLock(path, async () => void events.push('waiter holds the lock'), {
      now: time.now,
      sleep: time.sleep,
      staleMs: 20_000,
      timeoutMs: 60 * MINUTE,
      onWait: (pid) => events.push(`waiting for pid ${pid}`),
    });
    expect(time.attempts()).toBe(10);
    expect(events).toEqual([`waiting for pid ${process.pid}`, 'waiter holds the lock']);
    expect(existsSync(path)).toBe(false);
  });

  it('a live owner on another host is waited for while its heartbeat moves, then LOCK_TIMEOUT (exit 2) — not broken', async () => {
    const path = lockPath();
    const owner = foreignLock(path, 4242, 'another-host');
    let heartbeat = 0;
    const time = fakeTime(10_000, () => utimesSync(path, new Date(), new Date(Date.now() + ++heartbeat * 1000)));
    const attempt = withFileLock(path, async () => 'acquired', {
      now: time.now,
      sleep: time.sleep,
      staleMs: 20_000,
      timeoutMs: 5 * MINUTE,
    });
    await expect(attempt).rejects.toMatchObject({ code: 'LOCK_TIMEOUT', exitCode: 2 });
    expect(readFileSync(path, 'utf8')).toBe(owner);
  });

  it('an owner on this host whose pid is alive is never judged by its heartbeat: paused ten minutes (SIGSTOP, suspend, a clock step), it keeps its lock', async () => {
    const path = lockPath();
    const owner = foreignLock(path, process.pid);
    const time = fakeTime(MINUTE, (attempt) => {
      // No heartbeat at all while paused; the waiter's clock jumps a minute per pause.
      if (readFileSync(path, 'utf8') !== owner) throw new Error('the lock was taken from its live owner');
      if (attempt === 10) rmSync(path);
    });
    expect(
      await withFileLock(path, async () => 'acquired', {
        now: time.now,
        sleep: time.sleep,
        staleMs: 20_000,
        timeoutMs: 60 * MINUTE,
        isAlive: () => true,
      }),
    ).toBe('acquired');
    expect(time.attempts()).toBe(10);
  });
});

describe('a lock whose owner is gone', () => {
  it('is broken at once when its pid is dead on this host, however fresh its heartbeat', async () => {
    const path = lockPath();
    foreignLock(path, deadPid());
    const time = fakeTime(1);
    expect(await withFileLock(path, async () => 'acquired', { now: time.now, sleep: time.sleep })).toBe('acquired');
    expect(time.attempts()).toBe(0);
  });

  it('is broken when its heartbeat stops for staleMs of the waiter’s clock, even if the pid looks alive', async () => {
    const path = lockPath();
    foreignLock(path, 4242, 'another-host');
    const time = fakeTime(5_000);
    expect(
      await withFileLock(path, async () => 'acquired', {
        now: time.now,
        sleep: time.sleep,
        staleMs: 20_000,
        timeoutMs: 5 * MINUTE,
      }),
    ).toBe('acquired');
    // 20 s of silence at 5 s per pause: broken on the pause after the fourth, not before.
    expect(time.attempts()).toBe(5);
  });

  it('an old mtime alone is not a dead owner: a lock from a live pid here, untouched for hours, is waited on', async () => {
    const path = lockPath();
    foreignLock(path, process.pid);
    const old = new Date(Date.now() - 5 * 60 * MINUTE);
    utimesSync(path, old, old);
    const time = fakeTime(1_000);
    // The waiter judges by what it watched, not by the file's age: within staleMs it keeps waiting.
    await expect(
      withFileLock(path, async () => 'acquired', {
        now: time.now,
        sleep: time.sleep,
        staleMs: 20_000,
        timeoutMs: 10_000,
      }),
    ).rejects.toMatchObject({ code: 'LOCK_TIMEOUT' });
  });
});

describe('the owner', () => {
  it('renews its heartbeat while it holds the lock and removes only its own lock', async () => {
    const path = lockPath();
    await withFileLock(
      path,
      async () => {
        const first = statSync(path).mtimeMs;
        // Bounded: the heartbeat runs every 5 ms; give it up to 400 turns of the event loop's timers.
        for (let turn = 0; turn < 400 && statSync(path).mtimeMs === first; turn++)
          await new Promise((resolve) => setTimeout(resolve, 5));
        expect(statSync(path).mtimeMs).not.toBe(first);
        expect(readFileSync(path, 'utf8')).toMatch(new RegExp(`^${process.pid} \\S+ [0-9a-f]{16}$`));
      },
      { heartbeatMs: 5 },
    );
    expect(existsSync(path)).toBe(false);
  });
});
