// Human wording for NumericDate claims: ISO time plus "in 14m" / "2h ago", and durations.

export function formatDuration(totalSeconds: number): string {
  let seconds = Math.round(Math.abs(totalSeconds));
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
  const delta = atSeconds - nowSeconds;
  if (Math.abs(delta) < 1) return 'now';
  return delta > 0 ? `in ${formatDuration(delta)}` : `${formatDuration(delta)} ago`;
}

export function isoTime(seconds: number): string | undefined {
  if (!Number.isFinite(seconds)) return undefined;
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString().replace('.000Z', 'Z');
}
