// The OS keychain through @napi-rs/keyring (keytar is archived and cannot even install here). On Linux the entry is
// pinned to the Secret Service: the library's default silently falls back to the kernel keyring, which lives in RAM
// and is gone at reboot.
import { existsSync } from 'node:fs';
import { CliError } from '../errors.js';
import { KEYCHAIN_SERVICE, type SecretStore } from './store.js';

type Env = Readonly<Record<string, string | undefined>>;
type AsyncEntryClass = typeof import('@napi-rs/keyring').AsyncEntry;

const ENTRY_OPTIONS = { linux: { store: 'secret-service' as const } };
const PROBE_TIMEOUT_MS = 2000;
const OPERATION_TIMEOUT_MS = 10_000;

/** The keychain, or why there is none — decided in at most ~2 s. */
export async function probeKeychain(
  env: Env,
  platform = process.platform,
): Promise<{ store: SecretStore } | { reason: string }> {
  if (
    platform === 'linux' &&
    !env.DBUS_SESSION_BUS_ADDRESS &&
    !(env.XDG_RUNTIME_DIR && existsSync(`${env.XDG_RUNTIME_DIR}/bus`))
  ) {
    return { reason: 'there is no D-Bus session bus, so no Secret Service' };
  }
  let AsyncEntry: AsyncEntryClass;
  try {
    ({ AsyncEntry } = await import('@napi-rs/keyring'));
  } catch (error) {
    return { reason: `the keychain library could not load (${(error as Error).message})` };
  }
  try {
    const probe = new AsyncEntry(KEYCHAIN_SERVICE, '__probe__', ENTRY_OPTIONS);
    await probe.getPassword(AbortSignal.timeout(PROBE_TIMEOUT_MS));
  } catch (error) {
    return { reason: `the keychain did not answer (${firstLine(error)})` };
  }
  return { store: keychainStore(AsyncEntry) };
}

function keychainStore(AsyncEntry: AsyncEntryClass): SecretStore {
  const entries = new Map<string, InstanceType<AsyncEntryClass>>();
  // Creating an entry opens D-Bus (~9 ms): one per key, reused.
  const entry = (key: string) => {
    let found = entries.get(key);
    if (!found) entries.set(key, (found = new AsyncEntry(KEYCHAIN_SERVICE, key, ENTRY_OPTIONS)));
    return found;
  };
  const guard = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      const reason = firstLine(error);
      throw new CliError('STORE_FAILED', `The keychain failed to ${what}: ${reason}.`, {
        reason,
        hint: 'Unlock the keychain, or use OAUTH_STORE=file to keep tokens in a 0600 file instead.',
      });
    }
  };
  return {
    kind: 'keychain',
    describe: () => `the OS keychain (service "${KEYCHAIN_SERVICE}")`,
    get: (key) =>
      guard('read', async () => (await entry(key).getPassword(AbortSignal.timeout(OPERATION_TIMEOUT_MS))) ?? undefined),
    set: (key, value) => guard('save', () => entry(key).setPassword(value, AbortSignal.timeout(OPERATION_TIMEOUT_MS))),
    delete: (key) => guard('delete', () => entry(key).deleteCredential(AbortSignal.timeout(OPERATION_TIMEOUT_MS))),
  };
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 200);
}
