// Client registration rules (RFC 9700, RFC 8252, RFC 7636). Input has the RFC 7591 shape.
import { finding, type Finding } from './catalog.js';
import { isLoopbackLiteral } from './redirect-uris.js';

export interface ClientUnderTest {
  client_id?: string;
  redirect_uris: string[];
  grant_types: string[];
  response_types: string[];
  token_endpoint_auth_method?: string;
  application_type?: string;
  /** true: --public, false: --confidential, undefined: from the auth method. */
  public?: boolean;
  client_secret?: string;
  /** Non-standard, but some registrations say which PKCE method the client uses. */
  code_challenge_method?: string;
}

const SECRET_METHODS = new Set(['client_secret_basic', 'client_secret_post', 'client_secret_jwt']);

/** RFC 7591 §2: a registration without token_endpoint_auth_method authenticates with client_secret_basic, unless declared public. */
export function authMethodOf(client: ClientUnderTest): string {
  return client.token_endpoint_auth_method ?? (client.public === true ? 'none' : 'client_secret_basic');
}

export function isPublicClient(client: ClientUnderTest): boolean {
  return client.public ?? authMethodOf(client) === 'none';
}

function looksNative(client: ClientUnderTest): boolean {
  if (client.application_type === 'native') return true;
  if (client.redirect_uris.length === 0) return false;
  return client.redirect_uris.every((uri) => {
    try {
      const url = new URL(uri);
      return (
        (url.protocol === 'http:' && (isLoopbackLiteral(url.hostname) || url.hostname === 'localhost')) ||
        !/^https?:$/.test(url.protocol)
      );
    } catch {
      return false;
    }
  });
}

/** What the server's metadata offers the client, and how this run talks to it. */
export interface ClientContext {
  /** The server lists dpop_signing_alg_values_supported (a non-empty list). */
  serverOffersDpop?: boolean;
  /** The server's token_endpoint_auth_methods_supported, when it lists them. */
  serverAuthMethods?: readonly string[];
  /** This run binds its tokens with DPoP. */
  usesDpop?: boolean;
}

const ASYMMETRIC_METHODS = ['private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth'];

export function checkClient(
  client: ClientUnderTest,
  serverPkceMethods?: readonly string[] | null,
  context: ClientContext = {},
): Finding[] {
  const findings: Finding[] = [];
  const subject = client.client_id ?? 'the client';
  if (client.grant_types.includes('password')) {
    findings.push(
      finding(
        'client-password-grant',
        'password',
        `${subject} is registered for the password grant: it sees the user's password and cannot do MFA or SSO.`,
      ),
    );
  }
  const tokenResponses = client.response_types.filter((type) => type.split(' ').includes('token'));
  if (client.grant_types.includes('implicit') || tokenResponses.length > 0) {
    findings.push(
      finding(
        'client-implicit-grant',
        tokenResponses[0] ?? 'implicit',
        `${subject} uses the implicit grant (${tokenResponses.length ? `response_type ${tokenResponses.map((type) => JSON.stringify(type)).join(', ')}` : 'grant_type implicit'}).`,
      ),
    );
  }
  const method = authMethodOf(client);
  const isPublic = isPublicClient(client);
  const defaulted =
    client.token_endpoint_auth_method === undefined && method !== 'none'
      ? ', the RFC 7591 default when no token_endpoint_auth_method is given (--public or --auth-method none for a public client)'
      : '';
  if (client.public === false && method === 'none') {
    findings.push(
      finding(
        'client-confidential-auth-none',
        method,
        `${subject} is confidential but its token_endpoint_auth_method is "none".`,
      ),
    );
  }
  const usesCode =
    client.grant_types.includes('authorization_code') ||
    client.response_types.some((type) => type.split(' ').includes('code'));
  if (client.code_challenge_method === 'plain') {
    findings.push(
      finding(
        'client-pkce-plain',
        'plain',
        `${subject} uses code_challenge_method "plain", which protects nothing if the request is seen.`,
      ),
    );
  }
  if (isPublic && usesCode && serverPkceMethods !== undefined && !(serverPkceMethods ?? []).includes('S256')) {
    findings.push(
      finding(
        'client-public-without-pkce',
        subject,
        `${subject} is a public client using the code flow, but the server does not advertise S256 PKCE.`,
      ),
    );
  }
  if (looksNative(client) && SECRET_METHODS.has(method)) {
    findings.push(
      finding(
        'client-native-secret',
        method,
        `${subject} looks like a native or CLI client (loopback or custom-scheme redirects) yet authenticates with a secret (${method}${defaulted}).`,
      ),
    );
  }
  const offered = ASYMMETRIC_METHODS.filter((item) => context.serverAuthMethods?.includes(item));
  if ((method === 'client_secret_basic' || method === 'client_secret_post') && offered.length > 0) {
    findings.push(
      finding(
        'client-secret-where-server-offers-asymmetric',
        method,
        `${subject} authenticates with a shared secret (${method}${defaulted}), though the server offers ${offered.join(', ')}.`,
      ),
    );
  } else if (method === 'client_secret_basic' || method === 'client_secret_post') {
    findings.push(
      finding(
        'client-prefer-asymmetric-auth',
        method,
        `${subject} authenticates with a shared secret (${method}${defaulted}).`,
      ),
    );
  }
  if (isPublic && context.serverOffersDpop === true && context.usesDpop !== true) {
    findings.push(
      finding(
        'client-could-use-dpop',
        subject,
        `${subject} is a public client and the server supports DPoP, but this run does not use it: it could bind its tokens with DPoP (--dpop).`,
      ),
    );
  }
  if (client.client_secret !== undefined && Buffer.byteLength(client.client_secret) < 32) {
    findings.push(
      finding(
        'client-secret-short',
        `${Buffer.byteLength(client.client_secret)} bytes`,
        `The client secret is ${Buffer.byteLength(client.client_secret)} bytes; at least 32 random bytes are needed.`,
      ),
    );
  }
  return findings;
}
