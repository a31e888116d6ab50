// node:crypto loads its ciphers, hashes and streams besides what WebCrypto needs, and most runs use none of it: it is
// loaded the first time a run asks for it.
export function nodeCrypto(): typeof import('node:crypto') {
  return process.getBuiltinModule('node:crypto');
}
