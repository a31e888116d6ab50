// The version, in a module of its own so that `oauth --version` can answer without loading the CLI.
export const VERSION = '0.1.0';
