// SHA-256 in hex, for store keys and lock file names. node:crypto loads a great deal, and answering a fresh token from
// the store needs none of it: it is loaded on the first digest.
export function sha256Hex(text: string): string {
  const { createHash } = process.getBuiltinModule('node:crypto');
  return createHash('sha256').update(text).digest('hex');
}
