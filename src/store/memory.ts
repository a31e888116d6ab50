import type { SecretStore } from './store.js';

/** Secrets for the life of this process only (OAUTH_STORE=memory, tests, the demo). */
export function memoryStore(entries = new Map<string, string>()): SecretStore {
  return {
    kind: 'memory',
    describe: () => 'memory (gone when this process ends)',
    get: async (key) => entries.get(key),
    set: async (key, value) => void entries.set(key, value),
    delete: async (key) => entries.delete(key),
  };
}
