// Human wording for NumericDate claims: ISO time plus "in 14m" / "2h ago", and durations. A NumericDate is any finite
// number (exp: -1e300 is one), so every wording here also says the times no Date can hold.

/** How a time is said that no Date can hold (more than 8.64e12 seconds from 1970). */
export const BEYOND_CALENDAR = 'beyond any calendar date';

const SECONDS_PER_YEAR = 31_557_600;
/** Two calendar dates are at most this far apart: twice the range of a Date. */
const LONGEST_SPAN_SECONDS = 2 * 8.64e12;

/** "14m", "2d 3h", "300 years"; the sign is the caller's to say. */
export function formatDuration(totalSeconds: number): string {
  let seconds = Math.round(Math.abs(totalSeconds));
  if (!(seconds <= LONGEST_SPAN_SECONDS)) return 'longer than any calendar spans';
  if (seconds >= 100 * SECONDS_PER_YEAR) return `${Math.floor(seconds / SECONDS_PER_YEAR)} years`;
  if (seconds < 60) return `${seconds}s`;
  const units: Array<[string, number]> = [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
  ];
  const parts: string[] = [];
  for (const [unit, size] of units) {
    if (seconds >= size) {
      parts.push(`${Math.floor(seconds / size)}${unit}`);
      seconds %= size;
    }
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}

/** "in 14m" or "2h ago", relative to nowSeconds. */
export function relative(atSeconds: number, nowSeconds: number): string {
  if (isoTime(atSeconds) === undefined) return BEYOND_CALENDAR;
  const delta = atSeconds - nowSeconds;
  if (Math.abs(delta) < 1) return 'now';
  return delta > 0 ? `in ${formatDuration(delta)}` : `${formatDuration(delta)} ago`;
}

/** ISO 8601 in UTC, without milliseconds when there are none; undefined where no Date can say it. */
export function isoTime(seconds: number): string | undefined {
  if (!Number.isFinite(seconds)) return undefined;
  const date = new Date(seconds * 1000);
  if (Number.isNaN(date.getTime())) return undefined;
  const year = date.getUTCFullYear();
  // Written out from the UTC getters because toISOString makes V8 load the local time zone through ICU: about 6%
  // of the start-up of `oauth decode`. Years toISOString writes with a sign (before 0, after 9999) are left to it.
  if (year < 0 || year > 9999) return date.toISOString().replace('.000Z', 'Z');
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  const millis = date.getUTCMilliseconds();
  const time = `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}${millis ? `.${pad(millis, 3)}` : ''}`;
  return `${pad(year, 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}T${time}Z`;
}

/** A NumericDate as shown: its ISO time, or that it is beyond any calendar date. */
export function dated(seconds: number): string {
  return isoTime(seconds) ?? BEYOND_CALENDAR;
}

/**
 * A time a server gave (client_secret_expires_at, expires_at) as shown: its ISO time, or the number as it came when no
 * Date can hold it ("1e300 (not a time)"): a server's number is never trusted to be a time.
 */
export function shownTime(seconds: number): string {
  return isoTime(seconds) ?? `${seconds} (not a time)`;
}

/** "2026-01-02T03:04:05Z (in 14m)", or that it is beyond any calendar date. */
export function datedRelative(seconds: number, nowSeconds: number): string {
  const iso = isoTime(seconds);
  return iso === undefined ? BEYOND_CALENDAR : `${iso} (${relative(seconds, nowSeconds)})`;
}

/** "at 2026-01-02T03:04:05Z (2h ago)" — after a verb: "expired at …" — or "beyond any calendar date". */
export function atTime(seconds: number, nowSeconds: number): string {
  return isoTime(seconds) === undefined ? BEYOND_CALENDAR : `at ${datedRelative(seconds, nowSeconds)}`;
}

/**
 * Why a claim value is not a NumericDate (RFC 7519 §2: a finite number of seconds), as a clause after the claim's
 * name, or undefined when it is one. JSON has no Infinity, but 1e309 parses to it: say so, not "null".
 */
export function numericDateProblem(value: unknown): string | undefined {
  if (typeof value === 'number')
    return Number.isFinite(value) ? undefined : `is not a finite number (it reads as ${value})`;
  return `is ${JSON.stringify(value) ?? String(value)}, not a number`;
}
