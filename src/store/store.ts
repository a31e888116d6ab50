// Where secrets live. Three backends behind one interface (wrangler's habit): the OS keychain, a 0600 file, memory.
export interface SecretStore {
  readonly kind: 'keychain' | 'file' | 'memory';
  /** Where the secrets are, in words, for `oauth status` and login summaries. */
  describe(): string;
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<boolean>;
}

export const KEYCHAIN_SERVICE = 'oauth-cli';
