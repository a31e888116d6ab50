// SHA-256 in hex, for store keys and lock file names.
import { nodeCrypto } from '../node-crypto.js';

export function sha256Hex(text: string): string {
  return nodeCrypto().createHash('sha256').update(text).digest('hex');
}
