// Every duration a user gives (flag, OAUTH_* variable, profile) is read here, and every wait the tool sets is bounded
// here: Node's timers hold at most 2^31-1 ms and turn anything longer into 1 ms with a warning, so an unbounded value
// from a flag or a server becomes a busy loop or a failure at once.
import { CliError } from '../errors.js';

/** How long to wait for a server, unless --timeout or OAUTH_TIMEOUT says otherwise. */
export const DEFAULT_TIMEOUT_SECONDS = 10;
/** The tolerance for exp, nbf and iat, unless --clock-skew or OAUTH_CLOCK_SKEW says otherwise. */
export const DEFAULT_CLOCK_SKEW_SECONDS = 30;

/** The longest wait a Node timer can hold, in milliseconds. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The longest wait the tool accepts from a user (an HTTP deadline, the wait for a sign-in): a day. */
export const MAX_WAIT_SECONDS = 86_400;

/** The longest lifetime `serve` and `mint` give a token: ten years. */
export const MAX_LIFETIME_SECONDS = 10 * 365 * 86_400;

export interface SecondsRule {
  /** The largest value accepted. */
  max: number;
  /** 0 is a value (otherwise the value must be positive). */
  zero?: boolean;
  /** Only whole seconds. */
  whole?: boolean;
}

/**
 * A number of seconds as a user wrote it, checked against `rule`; otherwise exit 2 naming where the value came from
 * (`origin`: "--timeout", "OAUTH_TIMEOUT", `"timeout" in profile dev`).
 */
export function parseSeconds(raw: string, origin: string, rule: SecondsRule): number {
  const text = raw.trim();
  // Decimal notation only: Number() also reads "0x10" as 16, "0b1" as 1 and "" as 0.
  const seconds = DECIMAL.test(text) ? Number(text) : Number.NaN;
  const valid =
    Number.isFinite(seconds) &&
    (rule.zero ? seconds >= 0 : seconds > 0) &&
    seconds <= rule.max &&
    (!rule.whole || Number.isInteger(seconds));
  if (!valid) {
    const kind = `${rule.whole ? 'whole' : rule.zero ? '' : 'positive'} number of seconds`.trim();
    const range = rule.zero ? `from 0 to ${rule.max}` : `up to ${rule.max}`;
    throw new CliError(
      'USAGE',
      `${origin} must be a${/^[aeiou]/.test(kind) ? 'n' : ''} ${kind} ${range}${describe(rule.max)}, not "${raw}".`,
    );
  }
  // A timer counts milliseconds: 1e-9 would be said as "0s" and waited for as 1 ms.
  if (seconds !== 0 && seconds < MIN_SECONDS)
    throw new CliError('USAGE', `${origin} must be 0.001 seconds (a millisecond) or more, not "${raw}".`);
  return seconds;
}

const DECIMAL = /^(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;
const MIN_SECONDS = 0.001;

/** Milliseconds for a timer: at least 1 (0 means "no deadline" to undici), never more than a timer can hold. */
export function timerMs(seconds: number): number {
  return Math.min(Math.max(1, Math.round(seconds * 1000)), MAX_TIMER_MS);
}

function describe(seconds: number): string {
  if (seconds === MAX_WAIT_SECONDS) return ' (a day)';
  if (seconds === MAX_LIFETIME_SECONDS) return ' (ten years)';
  return '';
}
