// What a running `oauth serve` tells the other commands: its issuer (with the port it really got), its audience and
// algorithm, so `oauth mint` and `oauth check --api` make tokens for the server that is running rather than for the
// defaults. One small file beside the state; a record whose process is gone (a killed server) is ignored. An
// --ephemeral server records itself too, marked so: its keys are not in the state directory, and a token signed with
// the keys that are would be refused by it, so those commands refuse rather than make one.
//
// A record is believed only when it is this user's alone (not a link, not another user's or a world-writable file),
// a small regular file (a FIFO there must not hang the reader), and its process is the very one that wrote it: the
// record carries the process's start time (Linux /proc/<pid>/stat, field 22), so a killed server's pid taken by some
// later process does not bring its record back. That costs one small file read, where asking the server itself would
// cost an HTTP request. Where a process's start time cannot be read (no /proc: macOS, Windows), the record is ignored
// rather than trusted on its pid alone: the commands then use their defaults and say so, which is never a wrong guess.
//
// One record at a time: a second server started on the same state directory takes it over (and warns that another
// runs); when it stops it puts back the earlier server's record if that server still runs.
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../store/atomic-file.js';
import { readOwnFile } from '../store/own-file.js';

export interface RunningServer {
  pid: number;
  issuer: string;
  audience: string;
  alg: string;
  /** Its keys are thrown away on exit, not kept in the state directory: nothing else can sign for it. */
  ephemeral: boolean;
  /** When its process started, in the system's clock ticks since boot: with the pid, it names one process. */
  started: string;
}

/** Far above any record: a larger file is not one. */
const MAX_RECORD_BYTES = 4096;

export const runningFile = (stateDir: string) => join(stateDir, 'serve', 'running.json');

/** When the process `pid` started (clock ticks since boot), or undefined when there is no such process or no /proc. */
export function processStarted(pid: number | 'self'): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name (field 2) is in parentheses and may hold spaces and parentheses: count from the last ")".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const started = fields[19];
    return started && /^\d+$/.test(started) ? started : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Records this server; returns the live record it replaces (another server on the same state directory), for the
 * caller to warn about and to hand back to clearRunning.
 */
export async function recordRunning(
  stateDir: string,
  server: Omit<RunningServer, 'pid' | 'started'>,
): Promise<RunningServer | undefined> {
  const earlier = runningServer(stateDir);
  const started = processStarted('self');
  // Without a start time no reader would believe the record: write none rather than one that looks usable.
  if (started === undefined) return earlier;
  await write(stateDir, { pid: process.pid, ...server, started });
  return earlier;
}

/**
 * Removes the record when it is still this server's (another server started since owns it now), putting back the
 * record of the server it replaced if that one still runs.
 */
export async function clearRunning(stateDir: string, replaced?: RunningServer, pid = process.pid): Promise<void> {
  const current = readRecord(stateDir);
  if (current?.pid !== pid) return;
  if (replaced && isRunning(replaced)) await write(stateDir, replaced);
  else await rm(runningFile(stateDir), { force: true });
}

/** The running server's record, or undefined when there is none, it is not to be trusted, or its process is gone. */
export function runningServer(stateDir: string): RunningServer | undefined {
  const record = readRecord(stateDir);
  return record && isRunning(record) ? record : undefined;
}

function isRunning(record: RunningServer): boolean {
  return processStarted(record.pid) === record.started;
}

function write(stateDir: string, record: RunningServer): Promise<void> {
  return writeFileAtomic(runningFile(stateDir), `${JSON.stringify(record)}\n`);
}

function readRecord(stateDir: string): RunningServer | undefined {
  const bytes = readOwnFile(runningFile(stateDir), MAX_RECORD_BYTES);
  if (bytes === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const { pid, issuer, audience, alg, ephemeral, started } = value as Record<string, unknown>;
  if (!Number.isInteger(pid) || typeof pid !== 'number' || pid <= 0) return undefined;
  if (typeof issuer !== 'string' || typeof audience !== 'string' || typeof alg !== 'string') return undefined;
  if (typeof started !== 'string') return undefined;
  return { pid, issuer, audience, alg, ephemeral: ephemeral === true, started };
}
