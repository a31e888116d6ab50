// `oauth demo`: the whole tool in one command, offline. A local server on a random port, a temporary profile and
// token store (removed afterwards), and the real commands run one after another, each introduced in a sentence.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Context } from './context.js';
import { CliError, Exit } from '../errors.js';
import type { OpenBrowser } from '../term/browser.js';
import type { IO, Writer } from '../term/io.js';
import { stub } from '../redact.js';
import { DEFAULT_AUDIENCE } from '../serve/provider.js';
import { API_PATH, LAX_API_PATH } from '../serve/resource.js';
import { parseSession, sessionKey } from '../oauth/session.js';
import { fileStore } from '../store/file.js';
import { serveSettings, startServer } from './shared/local-server.js';
import { defineCommand, flag } from './define.js';

export const command = defineCommand({
  name: 'demo',
  flags: {
    headless: flag(
      '--headless',
      'a simulated user signs in over HTTP instead of a real browser (automatic without a TTY)',
    ),
  },
  examples: ['oauth demo', 'oauth demo --headless'],
  run: (_args, flags, ctx) => run(flags, ctx),
});

interface Step {
  title: string;
  command: string;
  exitCode: number;
}

/** Lines written through it are indented under the step that produced them. */
/** Each line of what a step prints, behind a prefix; endLine() ends a last line that has no newline (an API's body). */
function indented(target: Writer, prefix: string): Writer & { endLine(): void } {
  let atLineStart = true;
  return {
    endLine() {
      if (!atLineStart) target.write('\n');
      atLineStart = true;
    },
    write(text: string) {
      let out = '';
      for (const char of text) {
        if (atLineStart) out += char === '\n' ? prefix.trimEnd() : prefix;
        out += char;
        atLineStart = char === '\n';
      }
      return target.write(out);
    },
  };
}

async function run(flags: { headless?: boolean }, ctx: Context): Promise<number> {
  const { io, out } = ctx;
  const style = out.style;
  const narrate = (text: string | string[]) => (out.json ? out.info(text) : out.result(text));
  const home = mkdtempSync(join(tmpdir(), 'oauth-demo-'));
  // The demo's own world: nothing from the user's profile, store or OAUTH_* settings leaks in or out.
  const env: Record<string, string | undefined> = Object.fromEntries(
    Object.entries(io.env).filter(([name]) => !name.startsWith('OAUTH_')),
  );
  Object.assign(env, {
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_STATE_HOME: join(home, 'state'),
    XDG_CACHE_HOME: join(home, 'cache'),
    OAUTH_STORE: 'file',
  });
  const realBrowser = !flags.headless && io.stdinIsTTY && io.stdoutIsTTY && hasDesktop(io.env);
  const steps: Step[] = [];
  // Keys in the demo's own state, not thrown away: `check --api` signs its test tokens with the server's key.
  const { server } = await startServer(
    serveSettings({ port: '0', accessTokenTtl: '900', refreshTokenTtl: '3600', laxApi: true }),
    ctx,
    env,
  );
  const issuer = server.issuer;
  const api = `${issuer}${API_PATH}`;
  const laxApi = `${issuer}${LAX_API_PATH}`;

  const subIO = (stdin?: string, openBrowser?: OpenBrowser) => {
    const stdout = indented(out.json ? io.stderr : io.stdout, style.dim('   │ '));
    const stderr = indented(io.stderr, style.dim('   │ '));
    const sub: IO = {
      ...io,
      ...(openBrowser ? { openBrowser } : {}),
      env,
      stdin: Readable.from(stdin === undefined ? [] : [stdin]),
      stdinIsTTY: false,
      stdout,
      stderr,
      terminal: undefined,
    };
    const endLines = () => {
      stdout.endLine();
      stderr.endLine();
    };
    return { io: sub, endLines };
  };
  /** A step's sentence, then the command as one would type it, with what is piped into it (`piped`) in front. */
  const introduce = (title: string, args: string[], piped?: string) =>
    narrate([
      '',
      style.bold(title),
      style.dim(
        `   $ ${piped ? `${piped} | ` : ''}oauth ${args.map((arg) => (/[\s"]/.test(arg) ? JSON.stringify(arg) : arg)).join(' ')}`,
      ),
    ]);
  const step = async (
    title: string,
    args: string[],
    options: { stdin?: string; piped?: string; expect?: number; openBrowser?: OpenBrowser } = {},
  ) => {
    introduce(title, args, options.piped);
    const sub = subIO(options.stdin, options.openBrowser);
    const exitCode = await ctx.runCommand([...args, ...(out.verbosity > 0 ? ['-v'] : [])], sub.io);
    sub.endLines();
    steps.push({ title, command: `${options.piped ? `${options.piped} | ` : ''}oauth ${args.join(' ')}`, exitCode });
    if (exitCode !== (options.expect ?? 0)) {
      throw new CliError(
        exitCode === 1 ? 'INTERNAL' : 'PROTOCOL_ERROR',
        `The demo step "${title}" ended with exit code ${exitCode}.`,
        {
          hint: 'Run it again with -v to see each request.',
        },
      );
    }
  };
  const session = async () =>
    parseSession(
      await fileStore(join(home, 'state', 'oauth', 'tokens.json')).get(sessionKey('default')),
      'the demo profile',
    )!;

  try {
    narrate(
      `${style.green('●')} A local OAuth 2.0 / OpenID Connect server (oidc-provider, OpenID-certified) is running at ${style.bold(issuer)}.`,
    );
    narrate(
      '  Everything below runs the real commands against it; the profile and tokens live in a temporary store that is removed at the end.',
    );

    const loginTitle = `1. Sign in with the authorization code flow and PKCE, through a loopback callback on 127.0.0.1 — ${realBrowser ? 'in your browser (any username and password)' : 'a simulated user follows the URL it prints (there is no browser to wait for), fills the login and consent forms, and lands on the callback'}.`;
    const loginArgs = [
      'login',
      '--issuer',
      issuer,
      '--client-id',
      'oauth-cli',
      '--scope',
      'openid offline_access api:read',
    ];
    const openBrowser = realBrowser ? undefined : await simulatedBrowser();
    await step(loginTitle, loginArgs, openBrowser ? { openBrowser } : {});

    await step('2. Get the access token. On a terminal it is shown redacted; piped, `oauth token` prints it raw.', [
      'token',
      '-o',
      'human',
    ]);
    const signedIn = await session();
    await step(
      `3. Verify it as an API would: signature against the server's JWKS (found by discovery), issuer, audience ${DEFAULT_AUDIENCE}, and typ at+jwt with the claims RFC 9068 requires.`,
      ['decode', '-', '--verify', '--issuer', issuer, '--audience', DEFAULT_AUDIENCE, '--typ', 'at+jwt'],
      { stdin: signedIn.access_token, piped: 'oauth token' },
    );
    const before = signedIn.refresh_token!;
    await step(
      '4. Refresh. The server rotates the refresh token; the new one is saved before the new access token is handed out.',
      ['token', '--refresh', '-o', 'human'],
    );
    const after = (await session()).refresh_token!;
    narrate(
      `   refresh token ${stub(before)} → ${stub(after)} ${after !== before ? style.green('(rotated)') : style.yellow('(not rotated)')}`,
    );
    await step(
      `5. Call the server's example API, ${api}, as a client: oauth curl attaches the profile's access token (refreshed when needed) and prints what the API answers.`,
      ['curl', api],
    );
    // A user never sees the refresh token (no command prints it): the demo reads it from its own store and pipes it in.
    const refreshPipe = { stdin: after, piped: '<the stored refresh token>' };
    await step(
      '6. Introspect the refresh token (RFC 7662): the server says whether it is active, and for whom. The demo pipes in the refresh token from its store (`-` reads the token from stdin); a user never sees it.',
      ['introspect', '-', '--token-type-hint', 'refresh_token'],
      refreshPipe,
    );
    await step(
      '7. Revoke it (RFC 7009), the stored refresh token piped in again…',
      ['revoke', '-', '--token-type-hint', 'refresh_token', '--issuer', issuer, '--client-id', 'oauth-cli'],
      refreshPipe,
    );
    await step(
      '   …and introspect again: no longer active (exit 3).',
      ['introspect', '-', '--token-type-hint', 'refresh_token', '--issuer', issuer, '--client-id', 'oauth-cli'],
      { ...refreshPipe, expect: Exit.invalid },
    );
    await step(
      '8. Audit the setup against RFC 9700 — metadata, keys, the client — and probe the server live (it never signs in).',
      [
        'check',
        '--issuer',
        issuer,
        '--client-id',
        'oauth-cli',
        '--redirect-uri',
        'http://127.0.0.1/callback',
        '--public',
        '--probe',
      ],
    );

    await step(
      `9. Test an API's token validation: the server also hosts an example API, ${api}. Send it a valid token and one token per classic mistake, each signed with the server's key — it refuses them all.`,
      ['check', '--api', api, '--issuer', issuer, '--scope', 'api:read'],
    );
    await step(
      `   …and the same against ${laxApi}, an API written with those mistakes on purpose (oauth serve --lax-api): each token it accepts is a finding (exit 3).`,
      ['check', '--api', laxApi, '--issuer', issuer, '--scope', 'api:read'],
      { expect: Exit.invalid },
    );

    narrate([
      '',
      `${style.green('✓')} ${style.bold('Done.')} The demo server is stopped and its temporary store removed.`,
    ]);
    narrate([
      '',
      'Next, with your own provider:',
      '  oauth login --issuer https://your-idp.example --client-id <your CLI client>   (register http://127.0.0.1/callback)',
      '  oauth token | oauth decode - --verify --issuer https://your-idp.example --audience <your API>',
      '  oauth check --issuer https://your-idp.example --client-id <id> --redirect-uri <uri> --probe',
      'Or keep a local server running for your API\u2019s tests:',
      '  oauth serve            (then: oauth mint --suite  — tokens good and bad, with the verdict each needs)',
      '  oauth check --api http://127.0.0.1:8080/orders --scope <what it needs>   (your API, trusting oauth serve)',
    ]);
    if (out.json) out.jsonResult({ issuer, steps, ok: true });
    return Exit.ok;
  } finally {
    await server.close();
    rmSync(home, { recursive: true, force: true });
  }
}

function hasDesktop(env: Readonly<Record<string, string | undefined>>): boolean {
  return process.platform === 'darwin' || process.platform === 'win32' || Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}

async function simulatedBrowser() {
  const { simulateUser } = await import('../serve/simulated-user.js');
  return async (url: string) => {
    // Not awaited by the login: the simulated user finishes by loading the callback, like a browser would.
    void simulateUser(url, { login: 'demo-user' }).catch(() => undefined);
  };
}
