// What a running `oauth serve` tells the other commands: its issuer (with the port it really got), its audience and
// algorithm, so `oauth mint` and `oauth check --api` make tokens for the server that is running rather than for the
// defaults. One small file beside the state; a record whose process is gone (a killed server) is ignored. An
// --ephemeral server records itself too, marked so: its keys are not in the state directory, and a token signed with
// the keys that are would be refused by it, so those commands refuse rather than make one.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../store/atomic-file.js';
import { pidAlive } from '../store/lock.js';

export interface RunningServer {
  pid: number;
  issuer: string;
  audience: string;
  alg: string;
  /** Its keys are thrown away on exit, not kept in the state directory: nothing else can sign for it. */
  ephemeral: boolean;
}

export const runningFile = (stateDir: string) => join(stateDir, 'serve', 'running.json');

export async function recordRunning(stateDir: string, server: Omit<RunningServer, 'pid'>): Promise<void> {
  await writeFileAtomic(runningFile(stateDir), `${JSON.stringify({ pid: process.pid, ...server })}\n`);
}

/** Removes the record when it is still this server's: another server started since owns it now. */
export async function clearRunning(stateDir: string, pid = process.pid): Promise<void> {
  const current = await readRecord(stateDir);
  if (current?.pid === pid) await rm(runningFile(stateDir), { force: true });
}

/** The running server's record, or undefined when there is none, it is unreadable, or its process is gone. */
export async function runningServer(
  stateDir: string,
  isAlive: (pid: number) => boolean = pidAlive,
): Promise<RunningServer | undefined> {
  const record = await readRecord(stateDir);
  return record && isAlive(record.pid) ? record : undefined;
}

async function readRecord(stateDir: string): Promise<RunningServer | undefined> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(runningFile(stateDir), 'utf8'));
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const { pid, issuer, audience, alg, ephemeral } = value as Record<string, unknown>;
  if (!Number.isInteger(pid) || typeof pid !== 'number' || pid <= 0) return undefined;
  if (typeof issuer !== 'string' || typeof audience !== 'string' || typeof alg !== 'string') return undefined;
  return { pid, issuer, audience, alg, ephemeral: ephemeral === true };
}
