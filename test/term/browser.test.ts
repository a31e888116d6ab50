// Opening the browser: only web URLs, BROWSER run without a shell, and a browser command that fails at once is said
// to have failed (so the user opens the URL instead of waiting out the sign-in).
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemBrowser } from '../../src/term/browser.js';

function script(body: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'browser-')), 'browser.sh');
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

describe('systemBrowser', () => {
  it('says a BROWSER that exits with a failure at once failed, with its status', async () => {
    await expect(systemBrowser({ BROWSER: script('exit 3') })('https://id.example/auth')).rejects.toThrow(
      /exited with status 3/,
    );
  });

  it('says a BROWSER that cannot run failed', async () => {
    await expect(systemBrowser({ BROWSER: '/no/such/browser' })('https://id.example/auth')).rejects.toThrow(
      /cannot run BROWSER=\/no\/such\/browser/,
    );
  });

  it('counts a browser that ends well, or keeps running, as opened', async () => {
    await expect(systemBrowser({ BROWSER: script('exit 0') })('https://id.example/auth')).resolves.toBeUndefined();
    await expect(systemBrowser({ BROWSER: script('sleep 5') })('https://id.example/auth')).resolves.toBeUndefined();
  });

  it('never hands the browser anything but an http(s) URL', async () => {
    await expect(systemBrowser({ BROWSER: script('exit 0') })('smb://host/share')).rejects.toThrow(/smb:/);
  });
});
