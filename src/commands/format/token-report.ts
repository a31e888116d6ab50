// Human output for `oauth decode`. Every value from the token is printed JSON-encoded, so a hostile claim cannot
// carry terminal escape sequences to the screen.
import type { Style } from '../../term/output.js';
import type { DpopBinding } from '../../jwt/dpop-binding.js';
import type { TokenReport } from '../../jwt/report.js';
import { describeJwe } from '../../jwt/notes.js';
import { formatDuration } from '../../jwt/time.js';

const PRINTABLE_NAME = /^[\w:./@+-]{1,64}$/;

function name(key: string): string {
  return PRINTABLE_NAME.test(key) ? key : JSON.stringify(key);
}

function value(raw: unknown): string {
  // JSON has no Infinity, yet 1e309 parses to it; JSON.stringify would show it as null.
  if (typeof raw === 'number' && !Number.isFinite(raw)) return String(raw);
  return JSON.stringify(raw) ?? String(raw);
}

function section(title: string, entries: Array<[string, string]>, style: Style): string[] {
  const width = Math.min(24, Math.max(3, ...entries.map(([key]) => key.length)));
  return [style.bold(title), ...entries.map(([key, text]) => `  ${style.cyan(key.padEnd(width))}  ${text}`)];
}

export function formatReport(report: TokenReport, style: Style): string[] {
  const lines: string[] = [];
  const headerEntries = Object.entries(report.header).map(([key, raw]): [string, string] => [name(key), value(raw)]);
  lines.push(...section('Header', headerEntries, style));
  if (report.kind === 'jwe') {
    lines.push('', describeJwe(report.header));
    return lines;
  }
  const payloadEntries = Object.entries(report.payload ?? {}).map(([key, raw]): [string, string] => {
    const time = report.times[key as keyof TokenReport['times']];
    const shown = value(raw);
    if (!time?.relative) return [name(key), shown];
    return [name(key), `${shown}  ${style.dim(time.iso ? `${time.iso} (${time.relative})` : time.relative)}`];
  });
  lines.push('', ...section('Payload', payloadEntries, style));
  lines.push('');
  if (report.lifetimeSeconds !== undefined)
    lines.push(`${style.bold('Lifetime')}   ${lifetime(report.lifetimeSeconds)}`);
  const signature = report.signature!.bytes === 0 ? 'none (empty)' : `${report.signature!.bytes} bytes`;
  lines.push(
    `${style.bold('Signature')}  ${signature}${report.verification ? '' : style.dim(', not verified (add --verify)')}`,
  );
  if (report.notes.length > 0) {
    lines.push('', style.bold('Notes'));
    for (const note of report.notes)
      lines.push(`  ${note.level === 'warn' ? style.yellow('!') : style.dim('·')} ${note.text}`);
  }
  const binding = report.certificateBinding;
  if (binding) {
    lines.push('');
    if (binding.thumbprint) lines.push(`${style.bold('Bound to')}   certificate x5t#S256 ${binding.thumbprint}`);
    else if (binding.malformed)
      lines.push(`${style.bold('Bound to')}   ${style.red('✗')} malformed cnf x5t#S256 (${binding.malformed})`);
    else lines.push(`${style.bold('Bound to')}   no certificate (no cnf x5t#S256)`);
    const given = binding.certificate;
    if (given)
      lines.push(
        given.bound
          ? `  ${style.green('✓')} bound to --cert ${given.file}`
          : `  ${style.red('✗')} not bound to --cert ${given.file} (x5t#S256 ${given.thumbprint})`,
      );
  }
  const verification = report.verification;
  if (verification) {
    lines.push('');
    if (verification.valid) {
      lines.push(`${style.bold('Verified')}   ${style.green('✓ valid')}`);
      for (const item of verification.checked) lines.push(`  ${style.green('✓')} ${item}`);
      for (const item of verification.unchecked) lines.push(`  ${style.yellow('-')} not checked: ${item}`);
    } else {
      lines.push(`${style.bold('Verified')}   ${style.red(`✗ invalid (${verification.error.code})`)}`);
      lines.push(`  ${verification.error.message}`);
    }
  }
  return lines;
}

/** One line per token for many tokens on stdin. */
export function formatBatchLine(line: Record<string, unknown>, style: Style): string {
  const number = `#${String(line.line)}`;
  const error = line.error as { code: string; message: string } | undefined;
  if (error) return `${number}  ${style.red(`✗ ${error.code}`)}  ${error.message}`;
  const report = line as unknown as TokenReport;
  const verification = report.verification;
  if (verification && !verification.valid)
    return `${number}  ${style.red(`✗ ${verification.error.code}`)}  ${verification.error.message}`;
  const given = report.certificateBinding?.certificate;
  if (given && !given.bound) return `${number}  ${style.red('✗ JWT_CERT_MISMATCH')}  not bound to --cert ${given.file}`;
  const dpop = line.dpop as DpopBinding | undefined;
  if (dpop?.key && !dpop.bound)
    return `${number}  ${style.red('✗ JWT_CLAIM_INVALID')}  bound to another DPoP key than ${dpop.key.source}`;
  const parts = [number, verification ? style.green('✓ valid') : value(report.header.alg)];
  if (report.kind === 'jwe') return `${number}  encrypted (JWE), not decoded`;
  for (const claim of ['iss', 'sub', 'aud']) {
    if (report.payload?.[claim] !== undefined) parts.push(`${claim} ${value(report.payload[claim])}`);
  }
  const exp = report.times.exp;
  if (exp?.relative) parts.push(`exp ${exp.relative}`);
  if (given) parts.push('bound to --cert');
  if (dpop) parts.push(dpop.key ? `bound to ${dpop.key.source}` : 'DPoP-bound (cnf.jkt)');
  return parts.join('  ');
}

/** exp - iat (or nbf): a token whose exp comes first has no lifetime, and is not shown one. */
function lifetime(seconds: number): string {
  return seconds >= 0
    ? formatDuration(seconds)
    : `none: "exp" is ${formatDuration(seconds)} before its start ("iat" or "nbf")`;
}
