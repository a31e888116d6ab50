// The flags of the commands that talk to an authorization server, as the commands receive them: which server, which
// client, how it authenticates, what it asks for.
export interface ServerFlags {
  issuer?: string;
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  deviceAuthorizationEndpoint?: string;
  revocationEndpoint?: string;
  introspectionEndpoint?: string;
  userinfoEndpoint?: string;
  jwksUri?: string;
}

export interface ClientFlags extends ServerFlags {
  clientId?: string;
  clientSecret?: string;
  clientSecretFile?: string;
  clientSecretStdin?: boolean;
  authMethod?: string;
  privateKey?: string;
}

export interface RequestFlags {
  scope?: string;
  resource?: string[];
  audience?: string[];
  param?: string[];
}

/** revoke and introspect: a token given, and what kind it is. */
export interface TokenCommandFlags extends ClientFlags {
  tokenTypeHint?: string;
}
