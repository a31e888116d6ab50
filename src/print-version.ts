// `oauth --version` on its own: scripts and version checks ask it in loops, so bin/ loads this file alone, not the
// CLI. It writes through the same descriptor writer as the CLI: creating process.stdout for a pipe would load net and
// the stream machinery, most of what this answer costs beyond Node's own start.
import { descriptorWriter } from './term/io.js';
import { VERSION } from './version.js';

export function printVersion(onStreamError: (error: NodeJS.ErrnoException) => void): void {
  descriptorWriter(1, () => process.stdout, onStreamError).write(`${VERSION}\n`);
}
