// The modern protocol features the local authorization server can turn on (DPoP, PAR, JAR, JARM, RAR, mTLS), and how each
// maps onto oidc-provider 9.13's configuration. A feature left out is off, even where oidc-provider would enable it by
// default (DPoP, PAR): a test can then show how a client copes with a server that lacks it.

export interface ProtocolFeatures {
  /** DPoP (RFC 9449); with `nonce`, the server demands a DPoP-Nonce in every proof (use_dpop_nonce first). */
  dpop?: { nonce?: boolean };
  /** Pushed authorization requests (RFC 9126); with `required`, the authorization endpoint takes nothing else. */
  par?: { required?: boolean };
  /** Request objects (RFC 9101, JAR): the `request` parameter, signed by the client's registered key; PAR may carry them. */
  requestObjects?: boolean;
  /** JWT-secured authorization responses (JARM): response_mode jwt, query.jwt, form_post.jwt … */
  jarm?: boolean;
  /** Rich authorization requests (RFC 9396) with the one example type RAR_TYPE. */
  rar?: boolean;
  /**
   * Certificate-bound tokens and mTLS client authentication (RFC 8705) on a second listener; the certificates come
   * from the local CA (local-ca.ts), so ALL_FEATURES cannot hold it: `oauth serve` adds it with its CA's.
   */
  mtls?: MtlsOptions;
}

/**
 * Mutual TLS (RFC 8705): a second listener, HTTPS on 127.0.0.1, that asks for a client certificate and serves the
 * same endpoints, advertised as mtls_endpoint_aliases; its certificates come from the local CA (local-ca.ts).
 */
export interface MtlsOptions {
  /** PEM: the CA whose client certificates tls_client_auth trusts. */
  ca: string;
  /** PEM: the listener's certificate (for 127.0.0.1) and key. */
  cert: string;
  key: string;
  /** 0 (the default): any free port. */
  port?: number;
}

/** Every feature on: what `oauth serve` runs with unless told otherwise. */
export const ALL_FEATURES: ProtocolFeatures = { dpop: {}, par: {}, requestObjects: true, jarm: true, rar: true };

/** The one authorization details type the server knows (RFC 9396 section 2, its own example). */
export const RAR_TYPE = 'payment_initiation';

/** The names of the features that are on (dpop, par, jar, jarm, rar, mtls), for a --json line. */
export function featureNames(features: ProtocolFeatures): string[] {
  return featureList(features).map(([name]) => name);
}

/** The features that are on, each with how strict it is, for a banner. */
export function featureSummary(features: ProtocolFeatures): string {
  return featureList(features)
    .map(([name, detail]) => (detail ? `${name} (${detail})` : name))
    .join(', ');
}

function featureList(features: ProtocolFeatures): Array<[string, string?]> {
  const list: Array<[string, string?]> = [];
  if (features.dpop) list.push(features.dpop.nonce ? ['dpop', 'nonces required'] : ['dpop']);
  if (features.par) list.push(features.par.required ? ['par', 'required'] : ['par']);
  if (features.requestObjects) list.push(['jar']);
  if (features.jarm) list.push(['jarm']);
  if (features.rar) list.push(['rar', RAR_TYPE]);
  if (features.mtls) list.push(['mtls']);
  return list;
}

type AuthorizationDetail = Record<string, unknown> & { type: string };
type RarError = new (description: string) => Error;

interface RarContext {
  oidc: { params?: Record<string, unknown> };
}

/** The part of oidc-provider's `features` these options decide. */
export function providerFeatures(
  features: ProtocolFeatures,
  errors: { InvalidAuthorizationDetails: RarError },
  /** 32 bytes the DPoP nonces are made from; the example APIs are given the same (see dpopNonces). */
  nonceSecret: Buffer,
): Record<string, unknown> {
  return {
    dPoP: features.dpop
      ? {
          enabled: true,
          ...(features.dpop.nonce ? { nonceSecret, requireNonce: () => true } : {}),
        }
      : { enabled: false },
    pushedAuthorizationRequests: features.par
      ? { enabled: true, requirePushedAuthorizationRequests: features.par.required === true }
      : { enabled: false },
    requestObjects: { enabled: features.requestObjects === true, requireSignedRequestObject: false },
    jwtResponseModes: { enabled: features.jarm === true },
    richAuthorizationRequests: features.rar
      ? richAuthorizationRequests(errors.InvalidAuthorizationDetails)
      : { enabled: false },
  };
}

/** Client metadata the features need: which authorization details a client may ask for, how JARM responses are signed. */
export function clientFeatureMetadata(features: ProtocolFeatures, alg: string): Record<string, unknown> {
  return {
    ...(features.rar ? { authorization_details_types: [RAR_TYPE] } : {}),
    ...(features.jarm ? { authorization_signed_response_alg: alg } : {}),
  };
}

function richAuthorizationRequests(InvalidAuthorizationDetails: RarError) {
  return {
    enabled: true,
    types: {
      [RAR_TYPE]: {
        validate: (_ctx: unknown, detail: unknown) => validatePayment(detail, InvalidAuthorizationDetails),
      },
    },
    // The details of this authorization only: consent adds each request's details to the grant, which is reused, so the
    // grant alone would hand a later code what an earlier request asked for.
    authorizationDetailsForGrantSource: (ctx: RarContext) => requested(ctx),
    authorizationDetailsForAccessToken: (
      ctx: RarContext,
      _token: unknown,
      source: { rar?: AuthorizationDetail[] } | undefined,
    ) => {
      const asked = requested(ctx);
      // Client credentials: what the client asked for, already validated.
      if (!source) return asked;
      if (!asked) return source.rar;
      // A token request may narrow the granted details (RFC 9396 section 6.2), never widen them.
      const granted = new Set((source.rar ?? []).map(canonical));
      if (asked.some((detail) => !granted.has(canonical(detail))))
        throw new InvalidAuthorizationDetails('the token request asks for authorization details that were not granted');
      return asked;
    },
    authorizationDetailsForIntrospection: (_ctx: unknown, token: { rar?: AuthorizationDetail[] }) => token.rar,
  };
}

function requested(ctx: RarContext): AuthorizationDetail[] | undefined {
  const raw = ctx.oidc.params?.authorization_details;
  if (typeof raw !== 'string') return undefined;
  // oidc-provider has parsed and checked it already (an array of objects with a type) before any policy runs.
  const parsed: unknown = JSON.parse(raw);
  return Array.isArray(parsed) ? parsed.filter(isDetail) : undefined;
}

const PAYMENT_FIELDS = new Set([
  'type',
  'actions',
  'locations',
  'instructedAmount',
  'creditorName',
  'creditorAccount',
  'remittanceInformationUnstructured',
]);
const PAYMENT_ACTIONS = new Set(['initiate', 'status', 'cancel']);

/** RFC 9396's payment_initiation example, strictly: unknown members are refused, as oidc-provider asks of a type. */
function validatePayment(detail: unknown, InvalidAuthorizationDetails: RarError): void {
  const fail: (why: string) => never = (why) => {
    throw new InvalidAuthorizationDetails(`${RAR_TYPE}: ${why}`);
  };
  if (!isObject(detail)) fail('must be an object');
  // The name is the client's: echoed only when it is a plain word, as an error_description allows no more.
  for (const key of Object.keys(detail))
    if (!PAYMENT_FIELDS.has(key)) fail(/^\w{1,40}$/.test(key) ? `unknown member "${key}"` : 'an unknown member');
  const actions = detail.actions;
  if (actions !== undefined && (!Array.isArray(actions) || actions.some((action) => !PAYMENT_ACTIONS.has(action))))
    fail('actions must be among initiate, status, cancel');
  const amount = detail.instructedAmount;
  if (!isObject(amount) || Object.keys(amount).some((key) => key !== 'currency' && key !== 'amount'))
    fail('instructedAmount must be { currency, amount }');
  if (typeof amount.currency !== 'string' || !/^[A-Z]{3}$/.test(amount.currency))
    fail('instructedAmount.currency must be an ISO 4217 code such as EUR');
  if (typeof amount.amount !== 'string' || !/^\d{1,15}(\.\d{1,4})?$/.test(amount.amount))
    fail('instructedAmount.amount must be a decimal string such as "123.50"');
  if (typeof detail.creditorName !== 'string' || detail.creditorName.length === 0 || detail.creditorName.length > 140)
    fail('creditorName must be a non-empty string of at most 140 characters');
  const account = detail.creditorAccount;
  if (!isObject(account) || Object.keys(account).some((key) => key !== 'iban') || typeof account.iban !== 'string')
    fail('creditorAccount must be { iban }');
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(account.iban)) fail('creditorAccount.iban is not an IBAN');
  const remittance = detail.remittanceInformationUnstructured;
  if (remittance !== undefined && (typeof remittance !== 'string' || remittance.length > 140))
    fail('remittanceInformationUnstructured must be a string of at most 140 characters');
}

function isDetail(value: unknown): value is AuthorizationDetail {
  return isObject(value) && typeof value.type === 'string';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A detail as a string with its members in a fixed order, to compare details by value. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isObject(value))
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}
