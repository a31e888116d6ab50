// Structural decoding of a compact JWS/JWE. No trust is implied: this only says what the token claims to be, and
// refuses anything that is not well-formed base64url JSON, with the reason.
import { CliError } from '../errors.js';

export const MAX_TOKEN_BYTES = 16 * 1024 * 1024;
/** Deeper than any JOSE header or claim set is; shallow enough that re-encoding it cannot overflow the stack. */
export const MAX_JSON_DEPTH = 64;
const BASE64URL = /^[A-Za-z0-9_-]*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface DecodedJws {
  kind: 'jws';
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  /** The base64url signature as it appears in the token. */
  signature: string;
  signatureBytes: number;
}

export interface DecodedJwe {
  kind: 'jwe';
  header: Record<string, unknown>;
}

export type DecodedToken = DecodedJws | DecodedJwe;

/** Strips what people paste around a token: whitespace and an `Authorization: Bearer` prefix. */
export function cleanTokenInput(input: string): string {
  return input
    .trim()
    .replace(/^(?:authorization:\s*)?(?:bearer|dpop)\s+/i, '')
    .trim();
}

export function decodeToken(input: string): DecodedToken {
  const token = cleanTokenInput(input);
  if (token.length === 0) throw malformed('The token is empty.');
  if (token.length > MAX_TOKEN_BYTES) {
    throw new CliError('INPUT_TOO_LARGE', `The token is ${token.length} characters; the limit is ${MAX_TOKEN_BYTES}.`);
  }
  const dots = countDots(token, 5);
  if (dots !== 2 && dots !== 4) {
    const segments = dots === 0 ? '1 segment' : `${dots > 4 ? 'more than 5' : dots + 1} segments`;
    throw malformed(`The token has ${segments}; a JWT has 3 (signed, JWS) or 5 (encrypted, JWE).`);
  }
  const parts = token.split('.');
  const names =
    dots === 2 ? ['header', 'payload', 'signature'] : ['header', 'encrypted key', 'iv', 'ciphertext', 'tag'];
  parts.forEach((part, index) => {
    if (!BASE64URL.test(part)) {
      const position = part.search(/[^A-Za-z0-9_-]/);
      throw malformed(`The ${names[index]} segment has a character that is not base64url at position ${position + 1}.`);
    }
  });
  const header = decodeJsonSegment(parts[0]!, 'header');
  if (dots === 4) return { kind: 'jwe', header };
  if (header.b64 === false) {
    throw malformed('The header sets "b64": false (unencoded payload, RFC 7797); that is not a JWT.');
  }
  const payload = decodeJsonSegment(parts[1]!, 'payload');
  const signature = parts[2]!;
  return { kind: 'jws', header, payload, signature, signatureBytes: Buffer.from(signature, 'base64url').length };
}

function countDots(token: string, limit: number): number {
  let count = 0;
  for (let index = token.indexOf('.'); index !== -1 && count <= limit; index = token.indexOf('.', index + 1)) count++;
  return count;
}

function decodeJsonSegment(segment: string, name: string): Record<string, unknown> {
  if (segment.length === 0) throw malformed(`The ${name} segment is empty.`);
  let text: string;
  try {
    text = utf8.decode(Buffer.from(segment, 'base64url'));
  } catch {
    throw malformed(`The ${name} is not valid UTF-8.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw malformed(`The ${name} is not valid JSON.`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw malformed(`The ${name} is JSON but not an object.`);
  }
  if (depthExceeds(value, MAX_JSON_DEPTH)) {
    throw malformed(`The ${name} nests deeper than ${MAX_JSON_DEPTH} levels.`);
  }
  return value as Record<string, unknown>;
}

/** Iterative, so a hostile 100 000-level document cannot overflow the stack. */
export function depthExceeds(root: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > limit) return true;
    if (node !== null && typeof node === 'object') {
      for (const child of Object.values(node)) {
        if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
      }
    }
  }
  return false;
}

export function encryptedTokenError(): CliError {
  return new CliError('TOKEN_ENCRYPTED', 'This is an encrypted JWT (JWE); oauth verifies signed tokens only.', {
    hint: 'Decrypt it with the recipient’s key first, or run "oauth decode" without --verify to see its header.',
  });
}

function malformed(message: string): CliError {
  return new CliError('TOKEN_MALFORMED', message, {
    hint: 'Pass the token exactly as issued (header.payload.signature), as an argument or on stdin with "-".',
  });
}
