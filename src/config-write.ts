// Writing the config file: only `oauth login` does it, so the lock and atomic-write machinery load only then.
import { loadConfig, type ConfigFile } from './config.js';
import { writeFileAtomic } from './fsutil.js';
import { withFileLock } from './lock.js';

/** Read, change and write the config under a lock, so parallel sign-ins into different profiles keep each other's. */
export async function updateConfig(path: string, change: (config: ConfigFile) => void): Promise<void> {
  await withFileLock(`${path}.lock`, async () => {
    const config = loadConfig(path);
    change(config);
    await writeFileAtomic(path, `${JSON.stringify(config, null, 2)}\n`, 0o600);
  });
}
