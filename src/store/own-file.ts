// Files the CLI wrote for itself and later trusts (the code cache, the running server's record): read only when they
// are this user's alone, and never in a way that can block.
import { closeSync, constants, fstatSync, openSync, readFileSync, type Stats } from 'node:fs';

/** This user's, and no one else may write to it: what another user could plant or edit is not trusted. */
export function ownedByUserAlone(stats: Stats): boolean {
  return process.getuid === undefined || (stats.uid === process.getuid() && (stats.mode & 0o022) === 0);
}

/**
 * The bytes of `file` if it is a regular file (not a link to one) owned by this user alone and at most `maxBytes`
 * long; otherwise, or on any error, undefined.
 */
export function readOwnFile(file: string, maxBytes = Number.POSITIVE_INFINITY): Buffer | undefined {
  let descriptor: number | undefined;
  try {
    // Non-blocking: a FIFO where the file belongs would otherwise block the open before fstat could refuse it.
    // No-follow: a link may point at a file someone else controls.
    descriptor = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
    const stats = fstatSync(descriptor);
    if (!stats.isFile() || !ownedByUserAlone(stats) || stats.size > maxBytes) return undefined;
    const bytes = readFileSync(descriptor);
    return bytes.length > maxBytes ? undefined : bytes;
  } catch {
    return undefined;
  } finally {
    if (descriptor !== undefined) closeSync(descriptor);
  }
}
