// `oauth decode [token|-] [--verify …]`: flags -> options -> decode/verify each token -> print.
import type { Context } from './context.js';
import { DEFAULT_CLOCK_SKEW_SECONDS } from '../settings/duration.js';
import { MAX_WAIT_SECONDS, parseSeconds } from '../settings/duration.js';
import { CliError, Exit, asCliError } from '../errors.js';
import { readTokens } from '../term/input.js';
import { cleanTokenInput, decodeToken, MAX_TOKEN_BYTES, type DecodedToken } from '../jwt/decode.js';
import { reportToken, verificationReport } from '../jwt/report.js';
import { createVerifier, type Verifier, type VerifierSetup } from '../jwt/verifier.js';
import type { VerifyPolicy } from '../jwt/verify.js';
import { formatBatchLine, formatReport } from './format/token-report.js';

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

export async function run(tokenArgument: string | undefined, options: DecodeOptions, ctx: Context): Promise<number> {
  const verifier = options.verify ? tokenVerifier(options, ctx) : undefined;
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
  const result = verifier ? await verified(verifier, input, decoded, ctx) : undefined;
  if (result) report.verification = verificationReport(result);
  if (ctx.out.json) ctx.out.jsonResult(report);
  else ctx.out.result(formatReport(report, ctx.out.style));
  if (result?.status === 'invalid') throw result.reason;
  return Exit.ok;
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
      if (verifier) report.verification = verificationReport(await verified(verifier, token, decoded, ctx));
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
  const clockSkewSeconds = parseSeconds(
    ctx.setting('clock_skew', options.clockSkew, String(DEFAULT_CLOCK_SKEW_SECONDS))!,
    ctx.settingOrigin('clock_skew', options.clockSkew),
    { max: MAX_WAIT_SECONDS, zero: true },
  );
  const { chooseKeySource, keySetFrom } = await import('../jwt/key-source.js');
  const source = chooseKeySource(
    {
      jwks: options.jwks,
      key: options.key,
      secretEnv:
        options.secretEnv === undefined ? undefined : { name: options.secretEnv, value: ctx.io.env[options.secretEnv] },
      secretFile: options.secretFile,
      issuer: ctx.setting('issuer', options.issuer),
    },
    (secret) => ctx.knownSecrets.add(secret),
  );
  const keys = await keySetFrom(source, {
    documents: () => ctx.documents(),
    insecure: ctx.insecure,
    now: ctx.now,
    signal: ctx.io.signal,
  });
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
  return { keys, policy };
}

/** Where a setting came from, as the output names it: "--issuer", "OAUTH_ISSUER", "profile dev". */
function originOf(ctx: Context, name: string, flag: string | undefined): string {
  const origin = ctx.settingOrigin(name, flag);
  return origin.startsWith('"') ? `profile ${ctx.profileName}` : origin;
}
