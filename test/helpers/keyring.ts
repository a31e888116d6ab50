// A real Secret Service for keychain tests: a private D-Bus session bus and a fresh gnome-keyring, started and stopped
// by the test (a fresh keyring each run, or it stays locked). The XDG directories must exist, or clients wait 25 s.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestKeyring {
  /** DBUS_SESSION_BUS_ADDRESS and XDG_RUNTIME_DIR for the processes that should see this keychain. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export function keyringAvailable(): boolean {
  return ['dbus-daemon', 'gnome-keyring-daemon', 'secret-tool'].every(
    (tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0,
  );
}

export async function startKeyring(options: { unlocked?: boolean; withService?: boolean } = {}): Promise<TestKeyring> {
  const root = mkdtempSync(join(tmpdir(), 'oauth-keyring-'));
  for (const dir of ['data', 'cache']) mkdirSync(join(root, dir));
  mkdirSync(join(root, 'run'), { mode: 0o700 });
  const children: ChildProcess[] = [];
  const bus = spawn(
    'dbus-daemon',
    ['--session', '--nofork', '--print-address=1', `--address=unix:path=${join(root, 'run', 'bus')}`],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  children.push(bus);
  const address = await new Promise<string>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error('dbus-daemon did not start')), 5000);
    bus.stdout!.on('data', (chunk) => {
      text += chunk;
      if (text.includes('\n')) {
        clearTimeout(timer);
        resolve(text.split('\n')[0]!.trim());
      }
    });
  });
  const env = { DBUS_SESSION_BUS_ADDRESS: address, XDG_RUNTIME_DIR: join(root, 'run') };
  if (options.withService !== false) {
    const keyring = spawn(
      'gnome-keyring-daemon',
      [...(options.unlocked === false ? [] : ['--unlock']), '--components=secrets', '--foreground'],
      {
        env: { PATH: process.env.PATH, ...env, XDG_DATA_HOME: join(root, 'data'), XDG_CACHE_HOME: join(root, 'cache') },
        stdio: ['pipe', 'ignore', 'ignore'],
      },
    );
    children.push(keyring);
    keyring.stdin!.end(options.unlocked === false ? '' : 'test-password');
    // Ready when it owns the Secret Service name on the bus.
    for (let attempt = 0; attempt < 50; attempt++) {
      const owned = spawnSync(
        'dbus-send',
        [
          '--session',
          '--dest=org.freedesktop.DBus',
          '--print-reply',
          '/org/freedesktop/DBus',
          'org.freedesktop.DBus.NameHasOwner',
          'string:org.freedesktop.secrets',
        ],
        {
          env: { ...process.env, ...env },
          encoding: 'utf8',
        },
      );
      if (owned.stdout?.includes('boolean true')) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    env,
    close: async () => {
      for (const child of children.reverse()) child.kill('SIGTERM');
    },
  };
}

/** What the keychain holds for a service, via libsecret's own tool. */
export function keychainEntries(keyring: TestKeyring, service: string): string {
  return (
    spawnSync('secret-tool', ['search', '--all', 'service', service], {
      env: { ...process.env, ...keyring.env },
      encoding: 'utf8',
    }).stdout +
    spawnSync('secret-tool', ['search', '--all', 'service', service], {
      env: { ...process.env, ...keyring.env },
      encoding: 'utf8',
    }).stderr
  );
}
