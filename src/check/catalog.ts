// Every rule `oauth check` knows: a stable id, its area and severity, the spec it comes from, and how to fix it.
// Rules create findings from here, so the README, the JSON and the human output can never disagree.

export type Severity = 'error' | 'warn' | 'info';
export type Area =
  | 'redirect_uri'
  | 'scope'
  | 'client'
  | 'client_document'
  | 'server'
  | 'jwks'
  | 'token'
  | 'probe'
  | 'api'
  | 'resource';

export interface Rule {
  area: Area;
  severity: Severity;
  spec: string;
  title: string;
  fix: string;
}

export interface Finding {
  id: string;
  severity: Severity;
  area: Area;
  /** The offending value (a URI, a scope, an endpoint, a kid…). */
  subject: string;
  message: string;
  spec: string;
  fix: string;
  /** For probes: what was sent and what came back (secrets stripped). */
  evidence?: Record<string, unknown>;
}

export const RULES = {
  // Redirect URIs
  'redirect-uri-not-absolute': {
    area: 'redirect_uri',
    severity: 'error',
    spec: 'RFC 6749 §3.1.2',
    title: 'redirect URI is not an absolute URI',
    fix: 'Register the full URI, scheme and host included.',
  },
  'redirect-uri-fragment': {
    area: 'redirect_uri',
    severity: 'error',
    spec: 'RFC 6749 §3.1.2',
    title: 'redirect URI has a fragment',
    fix: 'Remove the #fragment; the response parameters must not land in a fragment of the registered URI.',
  },
  'redirect-uri-dangerous-scheme': {
    area: 'redirect_uri',
    severity: 'error',
    spec: 'RFC 9700 §4.1',
    title: 'redirect URI uses a scheme that runs or reads locally',
    fix: 'Use https (or a loopback http URI / a reverse-domain custom scheme for native apps).',
  },
  'redirect-uri-userinfo': {
    area: 'redirect_uri',
    severity: 'error',
    spec: 'RFC 9700 §4.1.3',
    title: 'redirect URI contains user information',
    fix: 'Remove "user:password@": it lets a URI look like one host while pointing at another.',
  },
  'redirect-uri-wildcard': {
    area: 'redirect_uri',
    severity: 'error',
    spec: 'RFC 9700 §4.1.3',
    title: 'redirect URI is a pattern, not an exact URI',
    fix: 'Register every exact redirect URI; servers must compare them by exact string matching.',
  },
  'redirect-uri-http': {
    area: 'redirect_uri',
    severity: 'error',
    spec: 'RFC 9700 §2.6, RFC 8252 §8.3',
    title: 'plain http redirect URI on a host that is not loopback',
    fix: 'Use https; plain http is only for loopback IP literals (http://127.0.0.1, http://[::1]).',
  },
  'redirect-uri-localhost': {
    area: 'redirect_uri',
    severity: 'warn',
    spec: 'RFC 8252 §8.3',
    title: 'loopback redirect URI uses "localhost"',
    fix: 'Use the IP literal http://127.0.0.1 (or http://[::1]): "localhost" can resolve elsewhere and be intercepted.',
  },
  'redirect-uri-custom-scheme': {
    area: 'redirect_uri',
    severity: 'warn',
    spec: 'RFC 8252 §7.1',
    title: 'custom URI scheme is not in reverse-domain form',
    fix: 'Use a scheme based on a domain you control, e.g. com.example.app:/callback, so no other app claims it.',
  },

  // Scopes
  'scope-syntax': {
    area: 'scope',
    severity: 'error',
    spec: 'RFC 6749 §3.3',
    title: 'scope is not valid RFC 6749 syntax',
    fix: 'Separate scopes with single spaces; a scope token may not contain commas, quotes or backslashes.',
  },
  'scope-overbroad': {
    area: 'scope',
    severity: 'warn',
    spec: 'RFC 9700 §2.3',
    title: 'scope name grants everything',
    fix: 'Split broad scopes into narrow ones (orders:read, orders:write) and ask only for what the client needs.',
  },
  'scope-unsupported': {
    area: 'scope',
    severity: 'warn',
    spec: 'RFC 8414 §2',
    title: 'scope is not in the server\u2019s scopes_supported',
    fix: 'Check the name, or ask the server owner to add it; unknown scopes are dropped or rejected.',
  },

  // Client registration
  'client-password-grant': {
    area: 'client',
    severity: 'error',
    spec: 'RFC 9700 §2.4',
    title: 'client uses the resource owner password grant',
    fix: 'Use the authorization code flow with PKCE (or the device flow); never collect the user\u2019s password in the client.',
  },
  'client-implicit-grant': {
    area: 'client',
    severity: 'warn',
    spec: 'RFC 9700 §2.1.2',
    title: 'client uses the implicit grant',
    fix: 'Use the authorization code flow with PKCE; tokens in the front channel leak through history and referrers.',
  },
  'client-public-without-pkce': {
    area: 'client',
    severity: 'error',
    spec: 'RFC 9700 §2.1.1, RFC 7636',
    title: 'public client cannot rely on PKCE',
    fix: 'Use PKCE with S256 for every authorization request; the server must support and require it.',
  },
  'client-pkce-plain': {
    area: 'client',
    severity: 'error',
    spec: 'RFC 9700 §2.1.1, RFC 7636 §4.2',
    title: 'client uses the plain PKCE method',
    fix: 'Use code_challenge_method=S256.',
  },
  'client-confidential-auth-none': {
    area: 'client',
    severity: 'error',
    spec: 'RFC 6749 §2.3',
    title: 'confidential client does not authenticate',
    fix: 'Set token_endpoint_auth_method to private_key_jwt (or client_secret_basic) for a confidential client.',
  },
  'client-native-secret': {
    area: 'client',
    severity: 'warn',
    spec: 'RFC 8252 §8.5',
    title: 'native or CLI client uses a client secret',
    fix: 'A secret shipped in an app or CLI is not secret: register it as a public client (auth none) with PKCE.',
  },
  'client-prefer-asymmetric-auth': {
    area: 'client',
    severity: 'info',
    spec: 'RFC 9700 §2.5',
    title: 'client authenticates with a shared secret',
    fix: 'Prefer private_key_jwt (RFC 7523) or mutual TLS (RFC 8705): no shared secret to leak.',
  },
  'client-secret-where-server-offers-asymmetric': {
    area: 'client',
    severity: 'info',
    spec: 'RFC 9700 §2.5, RFC 7523 §2.2, RFC 8705 §2',
    title: 'client uses a shared secret where the server offers private_key_jwt or mTLS',
    fix: 'Register the client with private_key_jwt (--private-key) or tls_client_auth / self_signed_tls_client_auth: the server already supports it.',
  },
  'client-could-use-dpop': {
    area: 'client',
    severity: 'info',
    spec: 'RFC 9700 §2.2.1, RFC 9449',
    title: 'public client could bind its tokens with DPoP',
    fix: 'Use DPoP (--dpop, or dpop: true in the profile): a stolen access or refresh token is then useless without the client\u2019s key.',
  },
  'client-secret-short': {
    area: 'client',
    severity: 'warn',
    spec: 'RFC 7518 §3.2, RFC 8725 §3.5',
    title: 'client secret is short',
    fix: 'Use a random secret of at least 32 bytes (256 bits); for client_secret_jwt it is the HMAC key.',
  },

  // Client ID metadata documents
  'client-document-url': {
    area: 'client_document',
    severity: 'error',
    spec: 'draft-ietf-oauth-client-id-metadata-document §3',
    title: 'client id URL is not one a server may fetch',
    fix: 'Use an https URL with a path, without a fragment, user name, password or "."/".." segments.',
  },
  'client-document-unavailable': {
    area: 'client_document',
    severity: 'error',
    spec: 'draft-ietf-oauth-client-id-metadata-document §4',
    title: 'the document at the client id URL cannot be fetched or read',
    fix: 'Serve the client metadata as a JSON object at exactly that URL, with 200 and no redirect.',
  },
  'client-document-client-id': {
    area: 'client_document',
    severity: 'error',
    spec: 'draft-ietf-oauth-client-id-metadata-document §4.1',
    title: 'the document\u2019s client_id is not its own URL',
    fix: 'Set "client_id" to the document\u2019s URL, character for character; servers refuse any other value.',
  },
  'client-document-redirect-uris': {
    area: 'client_document',
    severity: 'error',
    spec: 'draft-ietf-oauth-client-id-metadata-document §4.1, RFC 7591 §2',
    title: 'the document lists no redirect URIs',
    fix: 'List every exact redirect URI in "redirect_uris"; the server accepts no other.',
  },
  'client-document-secret': {
    area: 'client_document',
    severity: 'error',
    spec: 'draft-ietf-oauth-client-id-metadata-document §4.1',
    title: 'the document uses a shared secret',
    fix: 'A published document cannot hold a secret: remove client_secret, and use token_endpoint_auth_method none (PKCE) or private_key_jwt.',
  },
  'client-document-jwks-uri': {
    area: 'client_document',
    severity: 'error',
    spec: 'draft-ietf-oauth-client-id-metadata-document §4.1, RFC 7591 §2',
    title: 'the document\u2019s jwks_uri is not https',
    fix: 'Serve the client\u2019s public keys over https.',
  },

  // Authorization server metadata
  'server-metadata-type': {
    area: 'server',
    severity: 'error',
    spec: 'RFC 8414 §2',
    title: 'metadata member has the wrong type',
    fix: 'Serve each member with the type RFC 8414 / OIDC Discovery give it: URLs as strings, *_supported lists as arrays of strings, flags as booleans.',
  },
  'server-issuer-mismatch': {
    area: 'server',
    severity: 'error',
    spec: 'RFC 8414 §3.3',
    title: 'metadata issuer differs from the issuer asked for',
    fix: 'The "issuer" in the metadata must be identical to the issuer URL; fix the server configuration (this prevents mix-up attacks).',
  },
  'server-endpoint-not-https': {
    area: 'server',
    severity: 'error',
    spec: 'RFC 8414 §2, RFC 9700 §2.6',
    title: 'endpoint is not https',
    fix: 'Serve every endpoint over https (loopback development servers excepted).',
  },
  'server-pkce-not-advertised': {
    area: 'server',
    severity: 'warn',
    spec: 'RFC 9700 §2.1.1, RFC 8414 §2',
    title: 'server does not advertise PKCE support',
    fix: 'Publish code_challenge_methods_supported: ["S256"] and require PKCE.',
  },
  'server-pkce-plain': {
    area: 'server',
    severity: 'warn',
    spec: 'RFC 9700 §2.1.1',
    title: 'server offers the plain PKCE method',
    fix: 'Offer only S256.',
  },
  'server-implicit': {
    area: 'server',
    severity: 'warn',
    spec: 'RFC 9700 §2.1.2',
    title: 'server offers response types that return tokens from the authorization endpoint',
    fix: 'Drop "token" response types; use the code flow.',
  },
  'server-password-grant': {
    area: 'server',
    severity: 'error',
    spec: 'RFC 9700 §2.4',
    title: 'server offers the password grant',
    fix: 'Disable the resource owner password credentials grant.',
  },
  'server-alg-none': {
    area: 'server',
    severity: 'error',
    spec: 'RFC 8725 §3.1',
    title: 'server accepts or issues unsigned JWTs (alg none)',
    fix: 'Remove "none" from every *_alg_values_supported list.',
  },
  'server-no-iss-parameter': {
    area: 'server',
    severity: 'info',
    spec: 'RFC 9207',
    title: 'server does not send the iss authorization response parameter',
    fix: 'Support RFC 9207 (authorization_response_iss_parameter_supported: true) to defend against mix-up attacks.',
  },
  'server-no-revocation': {
    area: 'server',
    severity: 'info',
    spec: 'RFC 7009',
    title: 'server has no revocation endpoint',
    fix: 'Offer a revocation endpoint so clients can end sessions (logout) at the server.',
  },
  'server-no-par': {
    area: 'server',
    severity: 'info',
    spec: 'RFC 9126 §5, FAPI 2.0 Security Profile §5.3.2.2',
    title: 'server does not offer pushed authorization requests (PAR)',
    fix: 'Offer PAR (pushed_authorization_request_endpoint): authorization requests then travel over the back channel, authenticated and unaltered.',
  },
  'server-par-required-no-endpoint': {
    area: 'server',
    severity: 'error',
    spec: 'RFC 9126 §5',
    title: 'PAR is required but there is no PAR endpoint',
    fix: 'Publish pushed_authorization_request_endpoint, or set require_pushed_authorization_requests to false.',
  },
  'server-dpop-alg-not-asymmetric': {
    area: 'server',
    severity: 'error',
    spec: 'RFC 9449 §4.2, §5.1',
    title: 'DPoP proofs may be unsigned or signed with a shared key',
    fix: 'List only asymmetric algorithms (ES256, PS256, EdDSA…) in dpop_signing_alg_values_supported; never "none" or HS*.',
  },
  'server-dpop-algs-empty': {
    area: 'server',
    severity: 'warn',
    spec: 'RFC 9449 §5.1',
    title: 'dpop_signing_alg_values_supported is empty',
    fix: 'List the algorithms the server verifies DPoP proofs with (e.g. ["ES256"]), or leave the member out if DPoP is off.',
  },
  'server-mtls-no-tls-endpoint': {
    area: 'server',
    severity: 'warn',
    spec: 'RFC 8705 §3.3, §5',
    title: 'certificate-bound tokens without a TLS token endpoint',
    fix: 'Serve the token endpoint over https with client certificates, or publish it in mtls_endpoint_aliases.token_endpoint.',
  },
  'server-mtls-alias-other-site': {
    area: 'server',
    severity: 'warn',
    spec: 'RFC 8705 §5',
    title: 'an mTLS endpoint alias is on another site than the issuer',
    fix: 'Put mtls_endpoint_aliases under the issuer\u2019s own domain (e.g. mtls.example.com for example.com); check the metadata was not tampered with.',
  },
  'server-jarm-alg-not-asymmetric': {
    area: 'server',
    severity: 'error',
    spec: 'JARM §4.1, RFC 8725 §3.2',
    title: 'authorization responses may be unsigned or signed with a shared key',
    fix: 'List only asymmetric algorithms in authorization_signing_alg_values_supported; never "none" or HS*.',
  },
  'server-jarm-no-iss-parameter': {
    area: 'server',
    severity: 'warn',
    spec: 'RFC 9207 §2, §3',
    title: 'server offers JARM but does not send the iss authorization response parameter',
    fix: 'Support RFC 9207 (authorization_response_iss_parameter_supported: true) so plain responses carry iss too.',
  },
  'server-request-object-alg-none': {
    area: 'server',
    severity: 'error',
    spec: 'RFC 9101 §10.1, §10.2, RFC 8725 §3.2',
    title: 'server accepts unsigned request objects',
    fix: 'Remove "none" from request_object_signing_alg_values_supported: an unsigned request object proves nothing.',
  },
  'server-request-object-alg-symmetric': {
    area: 'server',
    severity: 'info',
    spec: 'RFC 9101 §10.1, RFC 8725 §3.5',
    title: 'server accepts request objects signed with the client secret (HS*)',
    fix: 'Prefer asymmetric request object algorithms (PS256, ES256): the client keeps its private key, the server holds no secret.',
  },
  'server-request-object-required-unusable': {
    area: 'server',
    severity: 'error',
    spec: 'RFC 9101 §5, §10.5, OpenID Discovery §3',
    title: 'signed request objects are required but cannot be sent',
    fix: 'Set request_parameter_supported or request_uri_parameter_supported to true, or offer PAR, when requiring signed request objects.',
  },
  'server-rar-types-empty': {
    area: 'server',
    severity: 'warn',
    spec: 'RFC 9396 §10',
    title: 'authorization_details_types_supported is empty',
    fix: 'List the authorization_details types the server understands, or leave the member out if RAR is off.',
  },

  // JWKS
  'jwks-unavailable': {
    area: 'jwks',
    severity: 'error',
    spec: 'RFC 8414 §2',
    title: 'the key set cannot be fetched or used',
    fix: 'Serve a valid JWKS at jwks_uri.',
  },
  'jwks-private-key': {
    area: 'jwks',
    severity: 'error',
    spec: 'RFC 7517 §4, RFC 7518 §6',
    title: 'key set publishes private or symmetric key material',
    fix: 'Publish only public members; rotate the exposed key now — anyone can forge tokens with it.',
  },
  'jwks-weak-rsa': {
    area: 'jwks',
    severity: 'error',
    spec: 'RFC 7518 §3.3, RFC 8725 §3.5',
    title: 'RSA key shorter than 2048 bits',
    fix: 'Rotate to an RSA key of 2048 bits or more (or EC P-256 / Ed25519).',
  },
  'jwks-duplicate-kid': {
    area: 'jwks',
    severity: 'warn',
    spec: 'RFC 7517 §4.5',
    title: 'two keys share a kid',
    fix: 'Give each key a unique kid so verifiers pick the right one.',
  },
  'jwks-missing-kid': {
    area: 'jwks',
    severity: 'warn',
    spec: 'RFC 7517 §4.5',
    title: 'key without kid in a set of several keys',
    fix: 'Give every key a kid, and put it in the tokens\u2019 headers.',
  },
  'jwks-ambiguous-key': {
    area: 'jwks',
    severity: 'info',
    spec: 'RFC 7517 §4.2, §4.4',
    title: 'key without use or alg in a mixed set',
    fix: 'Set "use" (sig/enc) and "alg" on each key so it cannot be used for another purpose or algorithm.',
  },

  // Tokens
  'token-lifetime': {
    area: 'token',
    severity: 'warn',
    spec: 'RFC 9700 §2.2',
    title: 'access token lives longer than the policy allows',
    fix: 'Issue short-lived access tokens (minutes) and use refresh tokens for longer sessions.',
  },
  'token-no-exp': {
    area: 'token',
    severity: 'error',
    spec: 'RFC 9068 §2.2',
    title: 'access token never expires',
    fix: 'Always set exp on access tokens.',
  },
  'token-no-aud': {
    area: 'token',
    severity: 'warn',
    spec: 'RFC 9068 §2.2, RFC 8707',
    title: 'access token has no audience',
    fix: 'Bind access tokens to their API with aud (resource indicators), so one API\u2019s token is refused by another.',
  },
  'token-typ': {
    area: 'token',
    severity: 'warn',
    spec: 'RFC 9068 §2.1, RFC 8725 §3.11',
    title: 'access token typ is not at+jwt',
    fix: 'Set the JWT header typ to "at+jwt" so access tokens cannot be confused with ID tokens.',
  },
  'token-extra-scopes': {
    area: 'token',
    severity: 'warn',
    spec: 'RFC 9700 §2.3',
    title: 'token grants scopes that were not requested',
    fix: 'Grant no more than the request asked for (least privilege).',
  },
  'token-opaque': {
    area: 'token',
    severity: 'info',
    spec: 'RFC 6749 §1.4, RFC 7662',
    title: 'access token is opaque, its claims cannot be audited here',
    fix: 'Look inside with "oauth introspect <token>", or issue RFC 9068 JWT access tokens.',
  },

  // Live probes
  'probe-redirect-uri-matching': {
    area: 'probe',
    severity: 'error',
    spec: 'RFC 9700 §4.1.3',
    title: 'server redirected to an unregistered redirect URI',
    fix: 'Compare redirect URIs by exact string matching before anything else (loopback port excepted, RFC 8252 §7.3).',
  },
  'probe-redirect-uri-accepted': {
    area: 'probe',
    severity: 'warn',
    spec: 'RFC 9700 §4.1.3',
    title: 'server went on to sign-in with an unregistered redirect URI',
    fix: 'Refuse an unregistered redirect URI before the sign-in, with an error page and no redirect.',
  },
  'probe-redirect-uri-refused': {
    area: 'probe',
    severity: 'info',
    spec: 'RFC 9700 §4.1.3',
    title: 'server refused an unregistered redirect URI',
    fix: 'Nothing to do.',
  },
  'probe-inconclusive': {
    area: 'probe',
    severity: 'info',
    spec: 'RFC 9700 §4.1.3',
    title: 'probe was inconclusive',
    fix: 'Check this case by hand.',
  },
  'probe-pkce-required': {
    area: 'probe',
    severity: 'error',
    spec: 'RFC 9700 §2.1.1',
    title: 'server accepts a public client\u2019s request without PKCE',
    fix: 'Require code_challenge (S256) from public clients.',
  },
  'probe-pkce-plain-accepted': {
    area: 'probe',
    severity: 'error',
    spec: 'RFC 9700 §2.1.1',
    title: 'server accepts the plain PKCE method',
    fix: 'Accept only S256.',
  },
  'probe-pkce-enforced': {
    area: 'probe',
    severity: 'info',
    spec: 'RFC 9700 §2.1.1',
    title: 'server refused a request without S256 PKCE',
    fix: 'Nothing to do.',
  },
  'probe-token-endpoint': {
    area: 'probe',
    severity: 'warn',
    spec: 'RFC 6749 §5.2, §5.1',
    title: 'token endpoint answered a bogus code unexpectedly',
    fix: 'Answer an invalid code with 400 invalid_grant and Cache-Control: no-store.',
  },
  'probe-token-endpoint-ok': {
    area: 'probe',
    severity: 'info',
    spec: 'RFC 6749 §5.2',
    title: 'token endpoint refused a bogus code properly',
    fix: 'Nothing to do.',
  },
  'probe-dpop-proof-not-required': {
    area: 'probe',
    severity: 'error',
    spec: 'RFC 9449 §7.1',
    title: 'userinfo accepted a DPoP-bound token without a proof',
    fix: 'Require a DPoP proof with every DPoP-bound token, and check that its key is the token\u2019s (cnf.jkt).',
  },
  'probe-dpop-bearer-accepted': {
    area: 'probe',
    severity: 'error',
    spec: 'RFC 9449 §7.2',
    title: 'userinfo accepted a DPoP-bound token presented as Bearer',
    fix: 'Refuse a token bound to a key (cnf.jkt) under the Bearer scheme: it must come as DPoP with a proof.',
  },
  'probe-dpop-other-key-accepted': {
    area: 'probe',
    severity: 'error',
    spec: 'RFC 9449 §4.3, §7.1',
    title: 'userinfo accepted a DPoP-bound token with a proof by another key',
    fix: 'Compare the proof\u2019s key thumbprint with the token\u2019s cnf.jkt (RFC 9449 §4.3 check 12) and refuse a mismatch.',
  },
  'probe-dpop-refused': {
    area: 'probe',
    severity: 'info',
    spec: 'RFC 9449 §7.1, §7.2',
    title: 'userinfo refused a DPoP-bound token presented without its key',
    fix: 'Nothing to do.',
  },
  'probe-dpop-inconclusive': {
    area: 'probe',
    severity: 'info',
    spec: 'RFC 9449 §7',
    title: 'DPoP probe was inconclusive',
    fix: 'Probe with a DPoP-bound token that userinfo accepts with its proof (a sign-in with "openid"), or check by hand.',
  },
  'probe-dpop-skipped': {
    area: 'probe',
    severity: 'info',
    spec: 'RFC 9449 §7',
    title: 'DPoP probe skipped: no DPoP-bound token',
    fix: 'Sign in with "oauth login --dpop" first, or give a confidential client (--client-secret-file or --private-key) to get one with client credentials.',
  },

  // An API's token validation (check --api): each rule is a token the API must refuse and accepted.
  'api-unprotected': {
    area: 'api',
    severity: 'error',
    spec: 'RFC 6750 §3',
    title: 'API answered a request without any token',
    fix: 'Require a valid access token on this route and answer 401 with WWW-Authenticate: Bearer when there is none (or, if the route is meant to be public, check a route that is not).',
  },
  'api-accepts-expired': {
    area: 'api',
    severity: 'error',
    spec: 'RFC 9068 §4, RFC 7519 §4.1.4',
    title: 'API accepted an expired token',
    fix: 'Refuse a token whose exp is in the past (allow at most a minute or two of clock skew).',
  },
  'api-accepts-no-expiry': {
    area: 'api',
    severity: 'error',
    spec: 'RFC 9068 §2.2, §4',
    title: 'API accepted a token without exp',
    fix: 'Require exp: a JWT library checks it only when present unless told it is required.',
  },
  'api-accepts-not-yet-valid': {
    area: 'api',
    severity: 'error',
    spec: 'RFC 7519 §4.1.5',
    title: 'API accepted a token that is not valid yet (nbf in the future)',
    fix: 'Refuse a token whose nbf is in the future (allow at most a minute or two of clock skew).',
  },
  'api-accepts-wrong-issuer': {
    area: 'api',
    severity: 'error',
    spec: 'RFC 9068 §4, RFC 8725 §3.8',
    title: 'API accepted a token from another issuer',
    fix: 'Compare iss with the one issuer you trust, exactly, and use only that issuer\u2019s keys.',
  },
  'api-accepts-issuer-prefix': {
    area: 'api',
    severity: 'error',
    spec: 'RFC 9068 §4, RFC 8725 §3.8',
    title: 'API accepted an issuer that only starts with the trusted one',
    fix: 'Compare iss by exact string equality, not startsWith, a pattern or a substring.',
  },
  'api-accepts-wrong-audience': {
    area: 'api',
    severity: 'error',
    spec: 'RFC 9068 §4, RFC 8725 §3.9',
    title: 'API accepted a token minted for another API',
    fix: 'Require aud to contain this API\u2019s own identifier (its resource indicator, RFC 8707).',
  },
  'api-accepts-no-audience': {
    area: 'api',
    severity: 'error',
    spec: 'RFC 9068 §2.2, §4',
    title: 'API accepted a token without aud',
    fix: 'Require aud: a JWT library checks it only when told which audience to expect.',
  },
  'api-accepts-alg-none': {
    area: 'api',
    severity: 'error',
    spec: 'RFC 9068 §4, RFC 8725 §3.1',
    title: 'API accepted an unsigned token (alg none)',
    fix: 'Verify every token\u2019s signature with an allow-list of the issuer\u2019s algorithms; never accept none.',
  },
  'api-accepts-hs256-public-key': {
    area: 'api',
    severity: 'error',
    spec: 'RFC 8725 §3.1, §2.1',
    title: 'API accepted HS256 signed with the issuer\u2019s public key (algorithm confusion)',
    fix: 'Pin the algorithms to the issuer\u2019s (RS256, ES256…) and never use a public key as an HMAC secret.',
  },
  'api-accepts-forged-signature': {
    area: 'api',
    severity: 'error',
    spec: 'RFC 9068 §4, RFC 7515 §5.2',
    title: 'API accepted a token signed by an unknown key under a known kid',
    fix: 'Verify the signature with the published key the kid names; a matching kid proves nothing by itself.',
  },
  'api-trusts-jwk-header': {
    area: 'api',
    severity: 'error',
    spec: 'RFC 8725 §3.10, RFC 7515 §4.1.3',
    title: 'API verified a token with the key in its own jwk header',
    fix: 'Ignore jwk, jku and x5u headers: verify only with the issuer\u2019s keys (its jwks_uri).',
  },
  'api-trusts-jku-header': {
    area: 'api',
    severity: 'error',
    spec: 'RFC 8725 §3.10, RFC 7515 §4.1.2',
    title: 'API accepted a token signed by a key its jku header points to',
    fix: 'Ignore jku: fetch keys only from the trusted issuer\u2019s jwks_uri.',
  },
  'api-trusts-x5u-header': {
    area: 'api',
    severity: 'error',
    spec: 'RFC 8725 §3.10, RFC 7515 §4.1.5',
    title: 'API accepted a token signed by a key its x5u header points to',
    fix: 'Ignore x5u: fetch keys only from the trusted issuer\u2019s jwks_uri.',
  },
  'api-fetches-header-url': {
    area: 'api',
    severity: 'error',
    spec: 'RFC 8725 §3.10',
    title: 'API fetched a URL named in a token header',
    fix: 'Never fetch jku or x5u from a token: an attacker chooses that URL (server-side request forgery, forged keys).',
  },
  'api-accepts-wrong-typ': {
    area: 'api',
    severity: 'error',
    spec: 'RFC 9068 §4, RFC 8725 §3.11',
    title: 'API accepted a JWT whose typ is not at+jwt',
    fix: 'Require typ at+jwt (or application/at+jwt), so that ID tokens and other JWTs cannot pass as access tokens.',
  },
  'api-accepts-id-token': {
    area: 'api',
    severity: 'error',
    spec: 'RFC 9068 §4, RFC 8725 §3.11',
    title: 'API accepted an ID token as an access token',
    fix: 'Accept only access tokens: require typ at+jwt and this API\u2019s audience (an ID token\u2019s aud is the client).',
  },
  'api-accepts-missing-scope': {
    area: 'api',
    severity: 'error',
    spec: 'RFC 9068 §4, RFC 6750 §3.1',
    title: 'API accepted a token without the scope the route requires',
    fix: 'Check scope against what the route needs; answer 403 with error="insufficient_scope".',
  },
  'api-accepts-other-tenant': {
    area: 'api',
    severity: 'error',
    spec: 'RFC 8725 §3.8',
    title: 'API accepted a token of another tenant',
    fix: 'Check the tenant claim (tid, org…) against the tenants this API serves, not only the signature.',
  },
  'api-accepts-query-token': {
    area: 'api',
    severity: 'error',
    spec: 'RFC 6750 §2.3, RFC 9700 §4.3.2',
    title: 'API accepted a token in the query string',
    fix: 'Take tokens only from the Authorization header: URLs end up in logs, history and Referer headers.',
  },
  'api-accepts-dpop-without-proof': {
    area: 'api',
    severity: 'error',
    spec: 'RFC 9449 §7.1',
    title: 'API accepted a DPoP-bound token without a DPoP proof',
    fix:
      'Refuse a token with cnf.jkt unless it comes with the DPoP scheme and a valid proof for that key. An error when ' +
      'the API advertises DPoP (a DPoP challenge, or dpop_bound_access_tokens_required or ' +
      'dpop_signing_alg_values_supported in its RFC 9728 metadata); otherwise a warning, since a resource that does not ' +
      'support DPoP may accept such a token as a bearer token (RFC 9449 §7.1).',
  },
  'api-refuses-with-server-error': {
    area: 'api',
    severity: 'warn',
    spec: 'RFC 6750 §3.1',
    title: 'API refused bad tokens with a server error',
    fix: 'Answer an invalid token with 401 and WWW-Authenticate: Bearer error="invalid_token", not a 5xx.',
  },
  'api-401-without-challenge': {
    area: 'api',
    severity: 'warn',
    spec: 'RFC 6750 §3',
    title: 'API answered 401 without a Bearer challenge',
    fix: 'Send WWW-Authenticate: Bearer (with error="invalid_token" when a token was given) on every 401.',
  },

  // A protected resource's challenge and RFC 9728 metadata (check --resource).
  'resource-unprotected': {
    area: 'resource',
    severity: 'error',
    spec: 'RFC 6750 §3',
    title: 'resource answered a request without a token',
    fix: 'Require an access token here and answer 401 with WWW-Authenticate: Bearer when there is none (or audit a route that needs one).',
  },
  'resource-not-401': {
    area: 'resource',
    severity: 'warn',
    spec: 'RFC 6750 §3',
    title: 'resource did not answer 401 to a request without a token',
    fix: 'Answer a request without a token with 401 and a Bearer challenge, not a redirect, 403 or 404.',
  },
  'resource-challenge-missing': {
    area: 'resource',
    severity: 'error',
    spec: 'RFC 6750 §3, RFC 9110 §11.6.1',
    title: '401 without a Bearer challenge',
    fix: 'Send WWW-Authenticate: Bearer resource_metadata="…" with every 401.',
  },
  'resource-challenge-malformed': {
    area: 'resource',
    severity: 'error',
    spec: 'RFC 9110 §11.6.1, RFC 6750 §3',
    title: 'WWW-Authenticate does not follow the challenge grammar',
    fix: 'Write the challenge as Bearer name="value", name="value" (quoted strings, commas between parameters).',
  },
  'resource-challenge-error-without-token': {
    area: 'resource',
    severity: 'info',
    spec: 'RFC 6750 §3.1',
    title: 'challenge names an error although no token was sent',
    fix: 'Leave out error= when the request had no token at all.',
  },
  'resource-challenge-no-metadata': {
    area: 'resource',
    severity: 'warn',
    spec: 'RFC 9728 §5.1',
    title: 'challenge does not say where the resource metadata is',
    fix: 'Add resource_metadata="https://…/.well-known/oauth-protected-resource…" to the Bearer challenge.',
  },
  'resource-metadata-missing': {
    area: 'resource',
    severity: 'warn',
    spec: 'RFC 9728 §3',
    title: 'resource publishes no protected resource metadata',
    fix: 'Serve RFC 9728 metadata at /.well-known/oauth-protected-resource (plus the path), naming the resource and its authorization servers.',
  },
  'resource-metadata-invalid': {
    area: 'resource',
    severity: 'error',
    spec: 'RFC 9728 §2, §3.2',
    title: 'protected resource metadata is malformed',
    fix: 'Serve a JSON object with a resource string and lists of strings for the list members.',
  },
  'resource-metadata-url-invalid': {
    area: 'resource',
    severity: 'error',
    spec: 'RFC 9728 §3, §5.1',
    title: 'the metadata URL is not one a client may fetch, or redirects',
    fix: 'Serve the metadata at the URL itself (resource_metadata in the challenge, or the well-known URL): an absolute https URL (http only on loopback) that answers 200, not a redirect.',
  },
  'resource-metadata-mismatch': {
    area: 'resource',
    severity: 'error',
    spec: 'RFC 9728 §3.3, §7.3',
    title: 'metadata names another resource',
    fix: 'Make resource exactly this API\u2019s identifier (the URL its metadata URL was made from): clients must not use metadata that names another.',
  },
  'resource-not-https': {
    area: 'resource',
    severity: 'error',
    spec: 'RFC 9728 §2, §7.1',
    title: 'resource or authorization server is not https',
    fix: 'Use https URLs for the resource and its authorization servers (plain http only on loopback, for development).',
  },
  'resource-bearer-methods-query': {
    area: 'resource',
    severity: 'error',
    spec: 'RFC 9728 §2, RFC 6750 §2.3, RFC 9700 §4.3.2',
    title: 'bearer_methods_supported includes query',
    fix: 'Take tokens only in the Authorization header (list "header"); tokens in URLs leak through logs and Referer.',
  },
  'resource-no-authorization-servers': {
    area: 'resource',
    severity: 'warn',
    spec: 'RFC 9728 §2',
    title: 'metadata lists no authorization_servers',
    fix: 'List the issuer(s) whose tokens this resource accepts, so clients know where to get one.',
  },
  'resource-authorization-server-unreachable': {
    area: 'resource',
    severity: 'error',
    spec: 'RFC 9728 §2, RFC 8414 §3',
    title: 'an authorization server the metadata lists has no usable metadata',
    fix: 'List issuer identifiers exactly (their RFC 8414 / OpenID discovery must answer), and remove ones that are gone.',
  },
  'resource-not-listed-by-authorization-server': {
    area: 'resource',
    severity: 'error',
    spec: 'RFC 9728 §4',
    title: 'authorization server\u2019s protected_resources does not list this resource',
    fix: 'Add the resource to the authorization server\u2019s protected_resources, or remove that server from authorization_servers.',
  },
  'resource-scope-not-offered': {
    area: 'resource',
    severity: 'warn',
    spec: 'RFC 9728 §2, RFC 8414 §2',
    title: 'a scope of the resource is not in its authorization servers\u2019 scopes_supported',
    fix: 'Use the scope names the authorization server issues, or have it offer them.',
  },
} as const satisfies Record<string, Rule>;

export type RuleId = keyof typeof RULES;

export function finding(id: RuleId, subject: string, message: string, evidence?: Record<string, unknown>): Finding {
  const rule: Rule = RULES[id];
  return {
    id,
    severity: rule.severity,
    area: rule.area,
    subject,
    message,
    spec: rule.spec,
    fix: rule.fix,
    ...(evidence ? { evidence } : {}),
  };
}
