// `oauth decode [token|-] [--verify …]`: flags -> options -> decode/verify each token -> print.
import type { Context } from './context.js';
import type { Setting } from '../settings/settings.js';
import { CliError, Exit, asCliError } from '../errors.js';
import { readTokens } from '../term/input.js';
import { cleanTokenInput, decodeToken, MAX_TOKEN_BYTES, type DecodedToken } from '../jwt/decode.js';
import { reportToken, type TokenReport, verificationReport } from '../jwt/report.js';
import { createVerifier, type Verifier, type VerifierSetup } from '../jwt/verifier.js';
import type { VerifyPolicy } from '../jwt/verify.js';
import { formatBatchLine, formatReport } from './format/token-report.js';
import { argument, defineCommand, flag, type FlagValues, option, repeatable } from './define.js';
import {
  bindingLines,
  bindingMismatch,
  type DpopBinding,
  dpopBinding,
  keyFileThumbprint,
  tokenJktClaim,
} from '../jwt/dpop-binding.js';

const FLAGS = {
  verify: flag('--verify', 'verify the signature and claims'),
  issuer: option(
    '--issuer <url>',
    'expected "iss", exactly; alone it also finds the keys by discovery (env OAUTH_ISSUER, else the profile\'s; the output says which)',
  ),
  audience: repeatable(
    '--audience <aud>',
    'expected "aud" (repeatable: any one must match; env OAUTH_AUDIENCE, else the profile\'s)',
  ),
  jwks: option('--jwks <url|file>', 'verify with this JSON Web Key Set'),
  key: option('--key <file>', 'verify with this PEM public key, certificate or JWK'),
  cert: option('--cert <file>', 'say whether the token is bound to this PEM client certificate (RFC 8705 cnf)'),
  secretEnv: option('--secret-env <var>', 'HMAC secret from this environment variable (HS256/384/512 only)'),
  secretFile: option('--secret-file <file>', 'HMAC secret from this file (a final newline is ignored)'),
  alg: repeatable(
    '--alg <alg>',
    'allowed algorithms (repeatable or comma-separated; default: what the keys support, never none)',
  ),
  typ: option(
    '--typ <typ>',
    'required "typ" header, e.g. at+jwt for RFC 9068 access tokens (then its required claims too)',
  ),
  requireScope: repeatable('--require-scope <scope>', 'scope the token must carry (repeatable)'),
  clockSkew: option('--clock-skew <seconds>', 'tolerance for exp/nbf/iat (default 30; env OAUTH_CLOCK_SKEW)'),
  dpopKey: option(
    '--dpop-key <file>',
    "check that a DPoP-bound token (cnf.jkt) is bound to this JWK or PEM key (public or private; default: the profile's own DPoP key for its token)",
  ),
};

export type DecodeOptions = FlagValues<typeof FLAGS>;

export const command = defineCommand({
  name: 'decode',
  description:
    'Decode a JWT (argument, or stdin with "-": one token per line) and show its header, claims, times and anything unusual.\n' +
    'With --verify, check the signature against keys from the configured source only (never from the token) and the claims.',
  args: { token: argument('[token]', 'the token, or "-" to read tokens from stdin') },
  flags: FLAGS,
  examples: [
    'oauth decode "$TOKEN"',
    'oauth decode "$TOKEN" --verify --issuer https://id.example.com --audience https://api.example.com',
    'oauth decode "$TOKEN" --verify --jwks ./jwks.json --typ at+jwt --require-scope orders:read',
    'oauth decode "$TOKEN" --verify --secret-env HMAC_SECRET --alg HS256',
    'cat tokens.txt | oauth decode - --verify --issuer https://id.example.com --json',
  ],
  exits:
    'Exit codes: 0 valid (or decoded) · 2 malformed input or bad flags · 3 invalid token (reason printed) ·\n            5 keys or discovery could not be fetched or used',
  run: ({ token }, flags, ctx) => run(token, flags, ctx),
});

export async function run(tokenArgument: string | undefined, options: DecodeOptions, ctx: Context): Promise<number> {
  const verifier = options.verify ? tokenVerifier(options, ctx) : undefined;
  if (!options.verify) warnIfVerifyFlagsIgnored(options, ctx);

  if (tokenArgument !== undefined && tokenArgument !== '-') {
    return single(tokenArgument, verifier, ctx, options.cert, options.dpopKey);
  }
  if (tokenArgument === undefined && ctx.io.stdinIsTTY) {
    throw new CliError('USAGE', 'No token given.', {
      hint: 'Pass it as an argument (oauth decode eyJ…), or pipe tokens in, one per line: … | oauth decode -',
    });
  }
  const tokens = readTokens(ctx.io.stdin, MAX_TOKEN_BYTES);
  const first = await tokens.next();
  if (first.done)
    throw new CliError('USAGE', 'No token on stdin.', { hint: 'Pipe one token per line into "oauth decode -".' });
  const second = await tokens.next();
  if (second.done) return single(first.value.token, verifier, ctx, options.cert, options.dpopKey);
  const certificate =
    options.cert !== undefined
      ? { file: options.cert, thumbprint: await certificateThumbprintOf(options.cert) }
      : undefined;
  const dpopKey =
    options.dpopKey !== undefined
      ? {
          source: `--dpop-key ${options.dpopKey}`,
          thumbprint: await keyFileThumbprint(options.dpopKey, '--dpop-key', ctx.knownSecrets),
        }
      : undefined;
  return batch([first.value, second.value], tokens, verifier, ctx, { certificate, dpopKey });
}

async function single(
  input: string,
  verifier: Verifier | undefined,
  ctx: Context,
  certFile?: string,
  dpopKey?: string,
): Promise<number> {
  const decoded = decodeToken(input);
  const report = reportToken(decoded, ctx.now() / 1000);
  if (certFile !== undefined) bindTo(report, { file: certFile, thumbprint: await certificateThumbprintOf(certFile) });
  const result = verifier ? await verified(verifier, input, decoded, ctx) : undefined;
  if (result) report.verification = verificationReport(result);
  const dpop = await dpopBindingOf(ctx, cleanTokenInput(input), report.payload, dpopKey);
  if (ctx.out.json) ctx.out.jsonResult(dpop ? { ...report, dpop } : report);
  else ctx.out.result([...formatReport(report, ctx.out.style), ...(dpop ? bindingLines(dpop) : [])]);
  if (result?.status === 'invalid') throw result.reason;
  const binding = report.certificateBinding?.certificate;
  if (binding && !binding.bound)
    throw new CliError(
      'JWT_CERT_MISMATCH',
      report.certificateBinding?.thumbprint
        ? `The token is bound to another certificate than --cert ${certFile}.`
        : report.certificateBinding?.malformed
          ? `The token's cnf x5t#S256 is malformed (${report.certificateBinding.malformed}), so it is bound to no certificate, not to --cert ${certFile}.`
          : `The token is bound to no certificate (it has no cnf x5t#S256), so not to --cert ${certFile}.`,
    );
  const dpopMismatch = dpop && bindingMismatch(dpop);
  if (dpopMismatch) throw dpopMismatch;
  return Exit.ok;
}

/** Whether the token is bound (cnf x5t#S256) to the --cert certificate, in its report. */
function bindTo(report: TokenReport, certificate: { file: string; thumbprint: string }): boolean {
  if (report.kind !== 'jws') return false;
  const thumbprint = report.certificateBinding?.thumbprint;
  const bound = thumbprint === certificate.thumbprint;
  report.certificateBinding = { ...report.certificateBinding, certificate: { ...certificate, bound } };
  return bound;
}

/** RFC 8705 §3.1 thumbprint of a PEM certificate file; a file that is not one is exit 2, naming it. */
async function certificateThumbprintOf(file: string): Promise<string> {
  const [{ readUserFile }, { certificateThumbprint }] = await Promise.all([
    import('../settings/user-file.js'),
    import('../net/client-cert.js'),
  ]);
  const pem = readUserFile(file, '--cert').toString('utf8');
  try {
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no certificate');
    return certificateThumbprint(pem);
  } catch {
    const what = /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)
      ? 'holds a private key, not a certificate'
      : 'holds no readable PEM certificate';
    throw new CliError('KEY_INVALID', `--cert ${file} ${what}.`, {
      hint: 'Give --cert the PEM certificate (-----BEGIN CERTIFICATE-----) the token should be bound to; a DER one converts with: openssl x509 -inform der -in cert.der -out cert.pem',
    });
  }
}

/** RFC 9449 §6.1: cnf.jkt, compared with --dpop-key, else with the profile's key when the token is the profile's. */
async function dpopBindingOf(
  ctx: Context,
  token: string,
  payload: Record<string, unknown> | undefined,
  keyFile: string | undefined,
): Promise<DpopBinding | undefined> {
  const jkt = tokenJktClaim(payload);
  if (jkt === undefined) {
    if (keyFile !== undefined) ctx.out.warn('--dpop-key: the token has no cnf.jkt, so it is bound to no DPoP key.');
    return undefined;
  }
  if (keyFile !== undefined)
    return dpopBinding(jkt, {
      source: `--dpop-key ${keyFile}`,
      thumbprint: await keyFileThumbprint(keyFile, '--dpop-key', ctx.knownSecrets),
    });
  const profileKey = await profileDpopKey(ctx, token);
  return dpopBinding(jkt, profileKey);
}

/** The profile's DPoP key, when the token is the profile's own access token; a store that cannot be read is no key. */
async function profileDpopKey(
  ctx: Context,
  token: string,
): Promise<{ source: string; thumbprint: string } | undefined> {
  const profile = await profileDpopKeyOf(ctx);
  return profile?.token === token ? profile.key : undefined;
}

/** The profile's access token and its DPoP key, when it has one. */
async function profileDpopKeyOf(
  ctx: Context,
): Promise<{ token: string; key: { source: string; thumbprint: string } } | undefined> {
  try {
    const [{ store }, { parseSession, profileWhere, sessionKey }, { importDpopKey }] = await Promise.all([
      import('./shared/store.js'),
      import('../oauth/session.js'),
      import('../oauth/dpop.js'),
    ]);
    const tokens = await store(ctx);
    const session = parseSession(await tokens.get(sessionKey(ctx.profileName)), profileWhere(ctx.profileName, tokens));
    if (!session?.dpop_jwk) return undefined;
    const key = await importDpopKey(session.dpop_jwk, ctx.knownSecrets);
    return {
      token: session.access_token,
      key: { source: `the DPoP key of profile "${ctx.profileName}"`, thumbprint: key.thumbprint },
    };
  } catch {
    return undefined;
  }
}

/** A token that could not be verified stops the run: the keys or the settings are at fault, not the token. */
async function verified(verifier: Verifier, input: string, decoded: DecodedToken, ctx: Context) {
  const result = await verifier.verify(cleanTokenInput(input), decoded, ctx.now() / 1000);
  if (result.status === 'could-not-verify') throw result.error;
  return result;
}

/** Verifications in flight at once: WebCrypto verifies on the thread pool, so the next tokens need not wait. */
const WINDOW = 32;
/** Output is written in chunks of about this size: one write per token would cost more than the verification. */
const FLUSH_BYTES = 64 * 1024;

interface Outcome {
  line: Record<string, unknown>;
  exitCode: number;
}

async function batch(
  head: Array<{ token: string; number: number }>,
  rest: AsyncIterable<{ token: string; number: number }>,
  verifier: Verifier | undefined,
  ctx: Context,
  bindings: { certificate?: { file: string; thumbprint: string }; dpopKey?: { source: string; thumbprint: string } },
): Promise<number> {
  const { certificate } = bindings;
  // Without --dpop-key, a token is compared with the profile's DPoP key when it is the profile's own, as for one token.
  let profileKey: Promise<{ token: string; key: { source: string; thumbprint: string } } | undefined> | undefined;
  const keyFor = async (token: string) => {
    if (bindings.dpopKey) return bindings.dpopKey;
    profileKey ??= profileDpopKeyOf(ctx);
    const profile = await profileKey;
    return profile?.token === token ? profile.key : undefined;
  };
  let total = 0;
  let failed = 0;
  let unkeyed = 0;
  let exitCode: number = Exit.ok;
  let pending: string[] = [];
  let pendingBytes = 0;
  const evaluate = async ({ token, number }: { token: string; number: number }): Promise<Outcome> => {
    try {
      const decoded = decodeToken(token);
      const report = reportToken(decoded, ctx.now() / 1000);
      if (verifier) report.verification = verificationReport(await verified(verifier, token, decoded, ctx));
      const unbound = certificate !== undefined && !bindTo(report, certificate);
      const jkt = tokenJktClaim(report.payload);
      if (jkt === undefined && bindings.dpopKey && report.kind === 'jws') unkeyed++;
      const dpop = jkt === undefined ? undefined : dpopBinding(jkt, await keyFor(cleanTokenInput(token)));
      const otherKey = dpop?.bound === false;
      return {
        line: { line: number, ...report, ...(dpop ? { dpop } : {}) },
        exitCode: (report.verification && !report.verification.valid) || unbound || otherKey ? Exit.invalid : Exit.ok,
      };
    } catch (error) {
      const failure = asCliError(error);
      // A key source that cannot be used fails every token alike: stop and say so once.
      if (failure.exitCode !== Exit.usage && failure.exitCode !== Exit.invalid) throw failure;
      return {
        line: { line: number, error: { code: failure.code, message: failure.message } },
        exitCode: failure.exitCode,
      };
    }
  };
  const emit = (outcome: Outcome) => {
    total++;
    if (outcome.exitCode !== Exit.ok) {
      failed++;
      exitCode = Math.max(exitCode, outcome.exitCode);
    }
    const line = ctx.out.json ? JSON.stringify(outcome.line) : formatBatchLine(outcome.line, ctx.out.style);
    pending.push(line);
    pendingBytes += line.length;
    if (pendingBytes >= FLUSH_BYTES) flush();
  };
  const flush = () => {
    if (pending.length > 0) ctx.out.json ? ctx.out.jsonText(`${pending.join('\n')}\n`) : ctx.out.result(pending);
    pending = [];
    pendingBytes = 0;
  };
  // Results are printed in input order; at most WINDOW tokens are held at once, so memory stays flat.
  const inFlight: Array<Promise<Outcome>> = [];
  const enqueue = async (item: { token: string; number: number }) => {
    const outcome = evaluate(item);
    outcome.catch(() => undefined); // awaited below, in order; never an unhandled rejection meanwhile
    inFlight.push(outcome);
    if (inFlight.length >= WINDOW) emit(await inFlight.shift()!);
  };
  try {
    for (const item of head) await enqueue(item);
    for await (const item of rest) await enqueue(item);
    while (inFlight.length > 0) emit(await inFlight.shift()!);
  } finally {
    flush();
  }
  if (unkeyed > 0)
    ctx.out.warn(`--dpop-key: ${unkeyed} of ${total} tokens have no cnf.jkt, so they are bound to no DPoP key.`);
  if (failed > 0) {
    // With --json every line is JSON, the summary too; stdout keeps exactly one line per token.
    if (ctx.out.json) ctx.out.info(JSON.stringify({ summary: { tokens: total, failed, exitCode } }));
    else ctx.out.info(`${failed} of ${total} tokens ${verifier ? 'failed' : 'could not be decoded'}.`);
  }
  return exitCode;
}

function warnIfVerifyFlagsIgnored(options: DecodeOptions, ctx: Context): void {
  const given = (['jwks', 'key', 'audience', 'secretEnv', 'secretFile', 'alg', 'typ', 'requireScope'] as const).filter(
    (name) => options[name] !== undefined,
  );
  if (given.length > 0)
    ctx.out.warn('Key and claim options only take effect with --verify; the token was decoded, not verified.');
}

/** The key set and policy are prepared on the first signed token, so a malformed first token fails before any request. */
function tokenVerifier(options: DecodeOptions, ctx: Context): Verifier {
  return createVerifier(
    () => prepare(options, ctx),
    (keys) => {
      for (const warning of keys.warnings) ctx.out.warn(warning);
    },
  );
}

async function prepare(options: DecodeOptions, ctx: Context): Promise<VerifierSetup> {
  // Settings are checked before any key set or discovery document is fetched.
  const clockSkewSeconds = ctx.settings.clockSkew.value;
  const { chooseKeySource, keySetFrom } = await import('../jwt/key-source.js');
  const source = chooseKeySource(
    {
      jwks: options.jwks,
      key: options.key,
      secretEnv:
        options.secretEnv === undefined ? undefined : { name: options.secretEnv, value: ctx.io.env[options.secretEnv] },
      secretFile: options.secretFile,
      issuer: ctx.settings.issuer?.value,
    },
    (secret) => ctx.knownSecrets.add(secret),
  );
  const keys = await keySetFrom(source, {
    documents: () => ctx.documents(),
    insecure: ctx.insecure,
    now: ctx.now,
    signal: ctx.io.signal,
  });
  // The profile's or the environment's issuer and audience apply too: the output says which one was enforced.
  const audience = ctx.settings.audience;
  const issuer = ctx.settings.issuer;
  const policy: VerifyPolicy = {
    issuer: issuer?.value,
    audience: audience?.value,
    origins: { issuer: issuer && originOf(ctx, issuer), audience: audience && originOf(ctx, audience) },
    clockSkewSeconds,
    algorithms: options.alg
      ?.flatMap((alg) => alg.split(','))
      .map((alg) => alg.trim())
      .filter(Boolean),
    typ: options.typ,
    requiredScopes: options.requireScope?.flatMap((scope) => scope.split(/[\s,]+/)).filter(Boolean),
  };
  return { keys, policy };
}

/** Where a setting came from, as the output names it: "--issuer", "OAUTH_ISSUER", "profile dev". */
function originOf(ctx: Context, setting: Setting<unknown>): string {
  return setting.source === 'profile' ? `profile ${ctx.profileName}` : setting.origin;
}
