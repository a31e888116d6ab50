// SHA-256 in hex, for store keys and lock file names. node:crypto loads on first use: most runs hash nothing.

export function sha256Hex(text: string): string {
  return process.getBuiltinModule('node:crypto').createHash('sha256').update(text).digest('hex');
}
