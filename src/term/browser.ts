// Opening the authorization URL. BROWSER (when set) is run directly — no shell, the URL its only argument, not
// waited for — so a URL can never be interpreted as shell syntax; otherwise the `open` package picks the desktop's
// browser. Nothing here writes to stdout.
import { spawn } from 'node:child_process';

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

function desktopBrowser(env: Readonly<Record<string, string | undefined>>): OpenBrowser {
  const command = env.BROWSER?.trim();
  if (command) {
    return (url) =>
      new Promise((resolve, reject) => {
        const child = spawn(command, [url], {
          stdio: 'ignore',
          detached: true,
          shell: false,
          env: { ...env } as NodeJS.ProcessEnv,
        });
        child.once('error', (error) => reject(new Error(`cannot run BROWSER=${command}: ${error.message}`)));
        child.once('spawn', () => {
          child.unref();
          resolve();
        });
      });
  }
  return async (url) => {
    const { default: open } = await import('open');
    const child = await open(url, { wait: false });
    await new Promise<void>((resolve, reject) => {
      child.once('error', (error) => reject(new Error(`cannot open a browser: ${error.message}`)));
      child.once('spawn', () => resolve());
      setTimeout(resolve, 1000).unref();
    });
    child.unref();
  };
}
