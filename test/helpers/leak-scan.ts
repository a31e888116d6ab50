// The suite-wide secret-leak scan. Every secret the test authorization server issues or receives is collected; every
// run of the CLI is recorded; after each test file, no secret (whole, or a JWT's signature) may appear in anything
// the CLI printed — except on stdout of a command whose stdout the user asked for a token on.
import type { Exchange } from '../../src/serve/provider.js';

const SECRET_PARAMETERS = [
  'code',
  'code_verifier',
  'refresh_token',
  'access_token',
  'id_token',
  'client_secret',
  'client_assertion',
  'device_code',
  'token',
  'password',
];

export function createLeakScanner() {
  const secrets = new Set<string>();
  const runs: Array<{ args: string[]; stdout: string; stderr: string }> = [];
  function recordSecret(value: unknown): void {
    if (typeof value !== 'string' || value.length < 12) return;
    secrets.add(value);
    const parts = value.split('.');
    if (parts.length === 3 && parts[2]!.length >= 12) secrets.add(parts[2]!);
  }

  /** Everything secret in one exchange at the authorization server. */
  function recordExchange(exchange: Exchange): void {
    for (const name of SECRET_PARAMETERS) recordSecret(exchange.parameters[name]);
    if (exchange.authorization?.startsWith('Basic ')) {
      const decoded = Buffer.from(exchange.authorization.slice(6), 'base64').toString();
      recordSecret(decodeURIComponent(decoded.slice(decoded.indexOf(':') + 1)));
    }
    if (exchange.location) {
      try {
        const location = new URL(exchange.location, 'http://x');
        for (const name of SECRET_PARAMETERS) recordSecret(location.searchParams.get(name));
      } catch {
        // not a URL: nothing to collect
      }
    }
    const body = exchange.response as Record<string, unknown> | undefined;
    for (const name of [
      'access_token',
      'refresh_token',
      'id_token',
      'device_code',
      'client_secret',
      'registration_access_token',
    ])
      recordSecret(body?.[name]);
    if (exchange.authorization?.startsWith('Bearer ')) recordSecret(exchange.authorization.slice(7));
  }

  function recordRun(args: string[], stdout: string, stderr: string): void {
    runs.push({ args, stdout, stderr });
  }

  /** Commands whose stdout carries a token because that is what the user asked for. */
  function stdoutMayCarryTokens(args: string[]): boolean {
    const command = args.find((arg) => !arg.startsWith('-'));
    if (command === 'serve' || command === 'mint') return true;
    if (command === 'register') return args.includes('--show-secret');
    if (command !== 'token') return false;
    const output = args[args.findIndex((arg) => arg === '-o' || arg === '--output') + 1];
    return !args.includes('-o') && !args.includes('--output') ? true : output !== 'human';
  }

  function findLeaks(): string[] {
    const leaks: string[] = [];
    for (const run of runs) {
      for (const secret of secrets) {
        const where = [
          run.stderr.includes(secret) ? 'stderr' : '',
          !stdoutMayCarryTokens(run.args) && run.stdout.includes(secret) ? 'stdout' : '',
        ].filter(Boolean);
        if (where.length)
          leaks.push(
            `oauth ${run.args.join(' ').slice(0, 200)} printed a secret (${secret.slice(0, 6)}…, ${secret.length} chars) on ${where.join(' and ')}`,
          );
      }
    }
    return leaks;
  }

  function scanned(): { secrets: number; runs: number } {
    return { secrets: secrets.size, runs: runs.length };
  }
  return { recordSecret, recordExchange, recordRun, findLeaks, scanned };
}

/** The scanner of this test file (each file runs in its own module registry). */
const scanner = createLeakScanner();
export const { recordSecret, recordExchange, recordRun, findLeaks, scanned } = scanner;
