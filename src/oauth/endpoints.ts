// The endpoints a server without discovery is given one by one (a flag, OAUTH_* or the profile each): their metadata
// names, the settings' names and, in kebab case, the flags' names.
export const ENDPOINT_SETTINGS = [
  'authorization_endpoint',
  'token_endpoint',
  'device_authorization_endpoint',
  'revocation_endpoint',
  'introspection_endpoint',
  'userinfo_endpoint',
  'jwks_uri',
] as const;

export type EndpointSetting = (typeof ENDPOINT_SETTINGS)[number];

/** How an endpoint is named in messages: "token endpoint", "JWKS". */
export const endpointLabel = (name: EndpointSetting): string =>
  name === 'jwks_uri' ? 'JWKS' : name.replace(/_/g, ' ');
