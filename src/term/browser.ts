// Opening the authorization URL. BROWSER (when set) is run directly — no shell, the URL its only argument, not
// waited for — so a URL can never be interpreted as shell syntax; otherwise the `open` package picks the desktop's
// browser. Nothing here writes to stdout.
import { type ChildProcess, spawn } from 'node:child_process';

export type OpenBrowser = (url: string) => Promise<void>;

export function systemBrowser(env: Readonly<Record<string, string | undefined>>): OpenBrowser {
  return onlyWeb(desktopBrowser(env));
}

/**
 * The browser gets http(s) and nothing else, whatever built the URL: xdg-open hands smb:, file: or a desktop file
 * to whichever program claims it.
 */
export function onlyWeb(open: OpenBrowser): OpenBrowser {
  return async (url) => {
    let protocol: string;
    try {
      protocol = new URL(url).protocol;
    } catch {
      throw new Error('not opening a browser for a value that is not a URL');
    }
    if (protocol !== 'https:' && protocol !== 'http:') throw new Error(`not opening a browser for a ${protocol} URL`);
    return open(url);
  };
}

/** How long a browser command may take to fail before it counts as started: launchers exit at once on failure. */
const EARLY_EXIT_MS = 1000;

function desktopBrowser(env: Readonly<Record<string, string | undefined>>): OpenBrowser {
  const command = env.BROWSER?.trim();
  if (command) {
    return async (url) => {
      const child = spawn(command, [url], {
        stdio: 'ignore',
        detached: true,
        shell: false,
        env: { ...env } as NodeJS.ProcessEnv,
      });
      await startedOrFailed(child, `BROWSER=${command}`);
    };
  }
  return async (url) => {
    const { default: open } = await import('open');
    await startedOrFailed(await open(url, { wait: false }), 'the desktop’s browser');
  };
}

/**
 * Resolves once the program runs on (or ended well) a moment after it started; rejects when it could not start or
 * exited with a failure at once (no display, a BROWSER that is not a browser), so the user hears that nothing opened
 * instead of waiting out the sign-in.
 */
function startedOrFailed(child: ChildProcess, what: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const settle = (error?: Error) => {
      clearTimeout(timer);
      child.unref();
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(() => settle(), EARLY_EXIT_MS);
    timer.unref();
    child.once('error', (error) => settle(new Error(`cannot run ${what}: ${error.message}`)));
    child.once('exit', (code, signal) =>
      settle(code === 0 ? undefined : new Error(`${what} exited ${signal ? `on ${signal}` : `with status ${code}`}`)),
    );
  });
}
