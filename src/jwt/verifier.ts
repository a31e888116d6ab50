// A token verifier as its callers use it: the key set and policy are prepared on the first token that needs them (so a
// malformed or encrypted first token fails before any request), checked once, and every token gets a typed answer —
// valid, invalid (the token's fault, with its reason), or could not be verified (the keys or the settings are at fault).
// jose and the key code load only when the first signed token arrives.
import { asCliError, type CliError, Exit } from '../errors.js';
import { cleanTokenInput, decodeToken, type DecodedToken, encryptedTokenError } from './decode.js';
import type { KeySet } from './keys.js';
import type { Verified, VerifyPolicy } from './verify.js';

export type TokenVerification =
  | { status: 'valid'; keySource: string; verified: Verified; warnings: string[] }
  | { status: 'invalid'; keySource?: string; reason: CliError }
  | { status: 'could-not-verify'; error: CliError };

export interface VerifierSetup {
  keys: KeySet;
  policy: VerifyPolicy;
}

export interface Verifier {
  /** `token` is the cleaned compact form of `decoded`. */
  verify(token: string, decoded: DecodedToken, nowSeconds: number): Promise<TokenVerification>;
}

/**
 * `prepare` builds the key set and policy; it runs once, on the first signed token. The policy is checked against the
 * key set then, and `onReady` hears of the key set once it passed (to print its warnings).
 */
export function createVerifier(prepare: () => Promise<VerifierSetup>, onReady?: (keys: KeySet) => void): Verifier {
  let ready: Promise<VerifierSetup & { allowed: string[]; verify: typeof import('./verify.js') }> | undefined;
  const setUp = async () => {
    const [verify, setup] = await Promise.all([import('./verify.js'), prepare()]);
    const allowed = verify.validatePolicy(setup.policy, setup.keys);
    onReady?.(setup.keys);
    return { ...setup, allowed, verify };
  };
  return {
    async verify(token, decoded, nowSeconds) {
      if (decoded.kind === 'jwe') return { status: 'invalid', reason: encryptedTokenError() };
      let setup: Awaited<NonNullable<typeof ready>>;
      try {
        setup = await (ready ??= setUp());
      } catch (error) {
        return { status: 'could-not-verify', error: asCliError(error) };
      }
      const { keys, policy, allowed, verify } = setup;
      try {
        const verified = await verify.verifyJws(token, decoded, keys, policy, allowed, nowSeconds);
        return { status: 'valid', keySource: keys.source, verified, warnings: keys.warnings };
      } catch (error) {
        const failure = asCliError(error);
        // The token's own failures (its signature, claims, algorithm) against failures to check it (a refetch of the
        // keys that failed).
        return failure.exitCode === Exit.invalid || failure.exitCode === Exit.usage
          ? { status: 'invalid', keySource: keys.source, reason: failure }
          : { status: 'could-not-verify', error: failure };
      }
    },
  };
}

/** One token against a key set, for callers that want the verified token or an error (tests, scripts). */
export async function verifyToken(
  input: string,
  keys: KeySet,
  policy: VerifyPolicy,
  nowSeconds: number,
): Promise<Verified> {
  const result = await createVerifier(async () => ({ keys, policy })).verify(
    cleanTokenInput(input),
    decodeToken(input),
    nowSeconds,
  );
  if (result.status === 'valid') return result.verified;
  throw result.status === 'invalid' ? result.reason : result.error;
}
