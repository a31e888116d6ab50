// `oauth decode [token|-] [--verify …]`: flags -> options -> decode/verify each token -> print.
import type { Context } from './context.js';
import { DEFAULT_CLOCK_SKEW_SECONDS } from '../settings/duration.js';
import { MAX_WAIT_SECONDS, parseSeconds } from '../settings/duration.js';
import { CliError, Exit, asCliError } from '../errors.js';
import { readTokens } from '../term/input.js';
import {
  cleanTokenInput,
  decodeToken,
  encryptedTokenError,
  MAX_TOKEN_BYTES,
  type DecodedToken,
} from '../jwt/decode.js';
import type { KeySet } from '../jwt/keys.js';
import { reportToken, type TokenReport } from '../jwt/report.js';
import type { VerifyPolicy } from '../jwt/verify.js';
import { formatBatchLine, formatReport } from './format/token-report.js';
import { readUserFile } from '../settings/user-file.js';

export interface DecodeOptions {
  verify?: boolean;
  jwks?: string;
  key?: string;
  issuer?: string;
  audience?: string[];
  secretEnv?: string;
  secretFile?: string;
  clockSkew?: string;
  alg?: string[];
  typ?: string;
  requireScope?: string[];
}

type Verifier = (token: string, decoded: DecodedToken) => Promise<TokenReport['verification']>;

export async function run(tokenArgument: string | undefined, options: DecodeOptions, ctx: Context): Promise<number> {
  const verifier = options.verify ? lazyVerifier(options, ctx) : undefined;
  if (!options.verify) warnIfVerifyFlagsIgnored(options, ctx);

  if (tokenArgument !== undefined && tokenArgument !== '-') {
    return single(tokenArgument, verifier, ctx);
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
  if (second.done) return single(first.value.token, verifier, ctx);
  return batch([first.value, second.value], tokens, verifier, ctx);
}

async function single(input: string, verifier: Verifier | undefined, ctx: Context): Promise<number> {
  const decoded = decodeToken(input);
  const report = reportToken(decoded, ctx.now() / 1000);
  if (verifier) report.verification = await verifier(cleanTokenInput(input), decoded);
  if (ctx.out.json) ctx.out.jsonResult(report);
  else ctx.out.result(formatReport(report, ctx.out.style));
  const verification = report.verification;
  if (verification && !verification.valid) {
    const { code, message, hint } = verification.error;
    throw new CliError(code, message, hint ? { hint } : {});
  }
  return Exit.ok;
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
): Promise<number> {
  let total = 0;
  let failed = 0;
  let exitCode: number = Exit.ok;
  let pending: string[] = [];
  let pendingBytes = 0;
  const evaluate = async ({ token, number }: { token: string; number: number }): Promise<Outcome> => {
    try {
      const decoded = decodeToken(token);
      const report = reportToken(decoded, ctx.now() / 1000);
      if (verifier) report.verification = await verifier(cleanTokenInput(token), decoded);
      return {
        line: { line: number, ...report },
        exitCode: report.verification && !report.verification.valid ? Exit.invalid : Exit.ok,
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

/** Builds the key set on first use, so a malformed first token fails before any network request. */
function lazyVerifier(options: DecodeOptions, ctx: Context): Verifier {
  let prepared:
    | Promise<{ keys: KeySet; policy: VerifyPolicy; verify: typeof import('../jwt/verify.js').verifyDecoded }>
    | undefined;
  let warned = false;
  return async (token, decoded) => {
    if (decoded.kind === 'jwe') {
      const { code, message, hint } = encryptedTokenError();
      return { valid: false, error: { code, message, ...(hint ? { hint } : {}) } };
    }
    prepared ??= prepare(options, ctx);
    const { keys, policy, verify } = await prepared;
    if (!warned) {
      warned = true;
      for (const warning of keys.warnings) ctx.out.warn(warning);
    }
    try {
      const result = await verify(token, decoded, keys, policy, ctx.now() / 1000);
      return {
        valid: true,
        keySource: keys.source,
        checked: result.checked,
        unchecked: result.unchecked,
        warnings: keys.warnings,
      };
    } catch (error) {
      const failure = asCliError(error);
      if (failure.exitCode !== Exit.invalid && failure.exitCode !== Exit.usage) throw failure;
      if (failure.code === 'USAGE') throw failure;
      return {
        valid: false,
        keySource: keys.source,
        error: { code: failure.code, message: failure.message, ...(failure.hint ? { hint: failure.hint } : {}) },
      };
    }
  };
}

async function prepare(options: DecodeOptions, ctx: Context) {
  // Settings are checked before any key set or discovery document is fetched.
  const clockSkewSeconds = parseSeconds(
    ctx.setting('clock_skew', options.clockSkew, String(DEFAULT_CLOCK_SKEW_SECONDS))!,
    ctx.settingOrigin('clock_skew', options.clockSkew),
    { max: MAX_WAIT_SECONDS, zero: true },
  );
  const [{ verifyDecoded, validatePolicy }, keys] = await Promise.all([
    import('../jwt/verify.js'),
    keySetFor(options, ctx),
  ]);
  const audienceFlag = options.audience?.length ? options.audience.join(' ') : undefined;
  // A list setting with nothing in it (OAUTH_AUDIENCE=",") is unset, like an empty one: never an empty list to enforce.
  const audienceList = ctx
    .setting('audience', undefined)
    ?.split(/[\s,]+/)
    .filter(Boolean);
  const audience = options.audience?.length ? options.audience : audienceList?.length ? audienceList : undefined;
  const issuer = ctx.setting('issuer', options.issuer);
  const policy: VerifyPolicy = {
    issuer,
    audience,
    // The profile's or the environment's issuer and audience apply too: the output says which one was enforced.
    origins: {
      issuer: issuer === undefined ? undefined : originOf(ctx, 'issuer', options.issuer),
      audience: audience === undefined ? undefined : originOf(ctx, 'audience', audienceFlag),
    },
    clockSkewSeconds,
    algorithms: options.alg
      ?.flatMap((alg) => alg.split(','))
      .map((alg) => alg.trim())
      .filter(Boolean),
    typ: options.typ,
    requiredScopes: options.requireScope?.flatMap((scope) => scope.split(/[\s,]+/)).filter(Boolean),
  };
  validatePolicy(policy, keys);
  return { keys, policy, verify: verifyDecoded };
}

async function keySetFor(options: DecodeOptions, ctx: Context): Promise<KeySet> {
  const sources = (['jwks', 'key', 'secretEnv', 'secretFile'] as const).filter((name) => options[name] !== undefined);
  if (sources.length > 1) {
    throw new CliError('USAGE', `Give one key source, not ${sources.map(flagName).join(' and ')}.`);
  }
  const keys = await import('../jwt/keys.js');
  if (options.secretEnv !== undefined) {
    const value = ctx.io.env[options.secretEnv];
    if (value === undefined || value === '') {
      throw new CliError(
        'USAGE',
        `The environment variable ${options.secretEnv} (from --secret-env) is not set or empty.`,
      );
    }
    ctx.knownSecrets.add(value);
    return keys.secretKeySet(new TextEncoder().encode(value), `the secret in $${options.secretEnv}`);
  }
  if (options.secretFile !== undefined) {
    const bytes = readUserFile(options.secretFile, '--secret-file');
    // Editors add a final newline; it is never part of the secret.
    const secret = bytes.toString('utf8').replace(/\r?\n$/, '');
    ctx.knownSecrets.add(secret);
    return keys.secretKeySet(new TextEncoder().encode(secret), `the secret in ${options.secretFile}`);
  }
  if (options.key !== undefined) return keys.fileKeySet(options.key, '--key');
  const { parseUrl } = await import('../net/url.js');
  if (options.jwks !== undefined) {
    if (!/^https?:\/\//i.test(options.jwks)) return keys.fileKeySet(options.jwks, '--jwks');
    return keys.remoteKeySet(parseUrl(options.jwks, 'JWKS URL'), await remoteDeps(ctx));
  }
  const issuer = ctx.setting('issuer', options.issuer);
  if (issuer === undefined) {
    throw new CliError('USAGE', '--verify needs a key source.', {
      hint: 'Pass --issuer <url> (keys found through discovery), --jwks <url|file>, --key <pem|jwk file>, or --secret-env VAR / --secret-file FILE for HMAC.',
    });
  }
  const { discover } = await import('../oauth/discovery.js');
  const issuerUrl = parseUrl(issuer, 'issuer');
  const deps = await remoteDeps(ctx);
  const { metadata } = await discover(issuerUrl, { cache: deps.cache, insecure: deps.insecure, signal: ctx.io.signal });
  if (typeof metadata.jwks_uri !== 'string') {
    throw new CliError('DISCOVERY_FAILED', `The metadata of ${issuer} has no jwks_uri, so its keys cannot be found.`, {
      hint: 'Give the keys with --jwks <url|file> or --key <file>.',
    });
  }
  return keys.remoteKeySet(parseUrl(metadata.jwks_uri, 'jwks_uri'), deps, `discovery of ${issuer}`);
}

async function remoteDeps(ctx: Context) {
  return { cache: await ctx.documents(), insecure: ctx.insecure, now: ctx.now };
}

/** Where a setting came from, as the output names it: "--issuer", "OAUTH_ISSUER", "profile dev". */
function originOf(ctx: Context, name: string, flag: string | undefined): string {
  const origin = ctx.settingOrigin(name, flag);
  return origin.startsWith('"') ? `profile ${ctx.profileName}` : origin;
}

function flagName(option: string): string {
  return `--${option.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}
