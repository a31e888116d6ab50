// `oauth check`: audit a client registration, scopes, the server's metadata and keys, tokens — and with --probe, the
// server's live behaviour. Exit 3 on any error finding (or warning, with --fail-on warn), so CI can gate on it.
import type { Area, Finding } from '../check/catalog.js';
import type { ClientUnderTest } from '../check/client.js';
import type { Context } from './context.js';
import type { DpopAlg } from '../oauth/dpop.js';
import { MAX_LIFETIME_SECONDS, parseSeconds } from '../settings/duration.js';
import { CliError, Exit } from '../errors.js';
import { readUserFile } from '../settings/user-file.js';
import { defineCommand, flag, type FlagValues, option, repeatable } from './define.js';
import { clientSecret } from './shared/client-secret.js';
import { rememberProfileSecrets } from './shared/store.js';
import { tokenArgument } from './shared/token-argument.js';

const FLAGS = {
  api: option(
    '--api <url>',
    "send this API a valid token and one token per mistake it must refuse (tokens signed with oauth serve's keys)",
  ),
  resource: option(
    '--resource <url>',
    'audit this protected resource: its 401 challenge, its RFC 9728 metadata and the authorization servers it names',
  ),
  issuer: option(
    '--issuer <url>',
    "the authorization server to audit (env OAUTH_ISSUER); with --api, the iss of the tokens (default: the running oauth serve's, else http://127.0.0.1:9400)",
  ),
  audience: option(
    '--audience <aud>',
    "with --api: the aud the API expects (default: the running oauth serve's --audience, else http://127.0.0.1/api)",
  ),
  claim: repeatable(
    '--claim <k=v>',
    'with --api: a claim the API requires (repeatable; a tenant claim such as tid=… adds the other-tenant case)',
  ),
  method: option('--method <method>', 'with --api: the request method (default GET)', {
    choices: ['GET', 'HEAD', 'POST'],
  }),
  clientId: option('--client-id <id>', 'the client (env OAUTH_CLIENT_ID); with --api, the aud of the ID-token case'),
  redirectUri: repeatable('--redirect-uri <uri>', 'a registered redirect URI (repeatable)'),
  scope: option(
    '--scope <scopes>',
    'the scopes the client asks for (env OAUTH_SCOPE); with --api, the scope the route requires',
  ),
  grantType: repeatable('--grant-type <type>', 'a grant type the client uses (repeatable)'),
  responseType: repeatable('--response-type <type>', 'a response type the client uses (repeatable)'),
  authMethod: option('--auth-method <method>', 'token_endpoint_auth_method'),
  public: flag('--public', 'the client is public (no secret)'),
  confidential: flag('--confidential', 'the client is confidential'),
  clientFile: option('--client-file <file>', 'a client registration as JSON (RFC 7591 shape)'),
  clientSecretFile: option(
    '--client-secret-file <file>',
    'the client secret, for the secret-length rule and the token-endpoint probe (or OAUTH_CLIENT_SECRET)',
  ),
  token: option('--token <jwt|->', 'an access token to audit ("-" reads stdin)'),
  clientCredentials: flag('--client-credentials', 'get a fresh access token with client credentials and audit it'),
  privateKey: option('--private-key <file>', 'with --client-credentials: a JWK or PEM private key for private_key_jwt'),
  maxTokenLifetime: option('--max-token-lifetime <seconds>', 'longest acceptable access-token lifetime (default 3600)'),
  probe: flag(
    '--probe',
    "also test the server live (sends requests; never signs in); a DPoP-bound token (the profile's, or a client-credentials one) is presented at userinfo without its key",
  ),
  dpop: flag(
    '--dpop',
    'the client binds its tokens with DPoP (RFC 9449; env OAUTH_DPOP=1, profile "dpop"); with --client-credentials, the token is bound to a new key',
  ),
  dpopAlg: option('--dpop-alg <alg>', 'the DPoP key: ES256 (default) | ES384 | ES512 | PS256 | RS256 | EdDSA', {
    choices: ['ES256', 'ES384', 'ES512', 'PS256', 'RS256', 'EdDSA'],
  }),
  failOn: option('--fail-on <severity>', 'error (default) or warn: the lowest severity that fails the check', {
    choices: ['error', 'warn'],
  }),
};

type CheckFlags = FlagValues<typeof FLAGS>;

export const command = defineCommand({
  name: 'check',
  description:
    "Audit redirect URIs, scopes and the client registration, the authorization server's metadata and JWKS, and access " +
    'tokens, against RFC 9700 (OAuth 2.0 Security BCP), RFC 8252, RFC 7636, RFC 9207, RFC 8414, RFC 6749 and RFC 8725. ' +
    'With --probe it also sends authorization requests with near-miss redirect URIs and without PKCE, and a bogus code ' +
    'to the token endpoint (it never signs in as anyone). With --api it sends an API a valid token and one token per ' +
    'validation mistake (RFC 9068 §4, RFC 8725, RFC 6750, RFC 9449), signed with the oauth serve keys, and names each ' +
    'one the API accepted; with --resource it audits an API\u2019s 401 challenge and RFC 9728 metadata. Exit 3 when ' +
    'there is an error finding.',
  flags: FLAGS,
  // A client id that is a URL is audited too: its user:password@ is the client-document-url finding, not stripped.
  auditedUrlFlags: ['redirectUri', 'clientId'],
  examples: [
    'oauth check --api http://127.0.0.1:8080/orders                       # an API that trusts oauth serve',
    'oauth check --api http://127.0.0.1:8080/orders --scope orders:read --claim tid=acme --json',
    'oauth check --issuer https://id.example.com',
    'oauth check --issuer https://id.example.com --client-id my-cli --redirect-uri http://127.0.0.1/callback --public --probe',
    'oauth check --client-file registration.json --scope "openid orders:read"',
    'oauth check --token "$TOKEN" --max-token-lifetime 900 --json',
  ],
  exits:
    'Exit codes: 0 no error findings · 3 error findings (or warnings with --fail-on warn); with --api, a token the API must refuse was accepted · 2 bad flags · 5 metadata unreachable; with --api, inconclusive: the API refused the valid token, or rate-limited, was unavailable or did not answer for a case (unless a bad token was accepted: 3)',
  run: (_args, flags, ctx) => run(flags, ctx),
});

const AREA_TITLES: Record<Area, string> = {
  server: 'Authorization server metadata',
  jwks: 'Signing keys (JWKS)',
  client: 'Client',
  client_document: 'Client ID metadata document',
  redirect_uri: 'Redirect URIs',
  scope: 'Scopes',
  token: 'Access token',
  probe: 'Live probes',
  api: 'API token validation',
  resource: 'Protected resource',
};

async function run(flags: CheckFlags, ctx: Context): Promise<number> {
  const failOn = flags.failOn ?? 'error';
  if (failOn !== 'error' && failOn !== 'warn')
    throw new CliError('USAGE', `--fail-on must be error or warn, not "${failOn}".`);
  if (flags.public && flags.confidential) throw new CliError('USAGE', 'Give --public or --confidential, not both.');
  if (flags.api !== undefined && flags.resource !== undefined)
    throw new CliError('USAGE', 'Give --api or --resource, not both: each is a run of its own.');
  if (flags.api !== undefined) return runApi(flags, flags.api, failOn, ctx);
  if (flags.resource !== undefined) return runResource(flags, flags.resource, failOn, ctx);
  for (const [name, given] of [
    ['--audience', flags.audience],
    ['--claim', flags.claim],
    ['--method', flags.method],
  ] as const)
    if (given !== undefined) throw new CliError('USAGE', `${name} goes with --api.`);

  const { DEFAULT_MAX_TOKEN_LIFETIME_SECONDS } = await import('../check/token.js');
  const maxLifetime = parseSeconds(
    flags.maxTokenLifetime ?? String(DEFAULT_MAX_TOKEN_LIFETIME_SECONDS),
    '--max-token-lifetime',
    { max: MAX_LIFETIME_SECONDS },
  );

  const issuer = ctx.settings.issuer?.value;
  if (issuer) await rememberProfileSecrets(ctx);
  const clientDocument = await fetchClientDocument(flags, ctx);
  const client = await clientUnderTest(flags, ctx, clientDocument);
  const scope = ctx.settings.scope?.value ?? (client?.scope as string | undefined);
  const tokens: string[] = [];
  const given = await tokenArgument(ctx, flags.token);
  if (given) tokens.push(given);
  const { wantedDpop } = await import('./shared/dpop.js');
  const dpopAlg = wantedDpop(ctx, flags);
  const service = flags.clientCredentials ? await serviceToken(flags, ctx, dpopAlg) : undefined;
  if (service) tokens.push(service.token);
  const session = issuer ? await profileSession(ctx) : undefined;
  const { isDpopBound } = await import('./shared/dpop-probe-token.js');
  for (const token of tokens) ctx.knownSecrets.add(token);
  if (!issuer && !client && scope === undefined && tokens.length === 0) {
    throw new CliError('USAGE', 'Nothing to check.', {
      hint: 'Give --issuer (server metadata and keys), a client (--client-id, --redirect-uri, --grant-type or --client-file), --scope, or --token.',
    });
  }

  const { audit, verdict } = await import('../check/audit.js');
  const findings = await audit(
    {
      issuer,
      client,
      clientDocument,
      scope,
      tokens,
      maxTokenLifetimeSeconds: maxLifetime,
      probe: flags.probe === true,
      // --dpop, OAUTH_DPOP or the profile's "dpop", or a profile session already bound to a key.
      dpop: dpopAlg !== undefined || isDpopBound(session),
      ...(flags.probe
        ? {
            dpopProbe: await (await import('./shared/dpop-probe-token.js')).dpopProbeToken(
              ctx,
              session,
              Boolean(client?.client_secret) || flags.privateKey !== undefined,
              async () => {
                if (service?.key) return { token: service.token, tokenType: service.tokenType, key: service.key };
                const bound = await serviceToken(flags, ctx, dpopAlg ?? 'ES256');
                if (!bound.key) throw new TypeError('a DPoP client-credentials token came without its key');
                ctx.knownSecrets.add(bound.token);
                return { token: bound.token, tokenType: bound.tokenType, key: bound.key };
              },
            ),
          }
        : {}),
    },
    {
      fetchMetadata: async (value) => {
        const [{ fetchMetadata }, { parseUrl, assertSecureUrl }] = await Promise.all([
          import('../oauth/discovery.js'),
          import('../net/url.js'),
        ]);
        const url = parseUrl(value, 'issuer');
        // An http issuer is itself a finding, not a reason to stop: fetch it anyway (read-only GET).
        assertSecureUrl(url, true, 'issuer');
        return (await fetchMetadata(url, { cache: await ctx.documents(), insecure: true, signal: ctx.io.signal }))
          .metadata;
      },
      fetchJwks: async (url) => {
        const { parseJsonResponse } = await import('../net/http-response.js');
        return parseJsonResponse(await (await ctx.documents()).get(url, 'JWKS'), 'JWKS');
      },
      http: () => ctx.http(),
      nowSeconds: () => Math.floor(ctx.now() / 1000),
      secrets: ctx.knownSecrets,
    },
  );
  const { summary, failed } = verdict(findings, failOn);
  if (ctx.out.json) ctx.out.jsonResult({ findings, summary: { ...summary, failed } });
  else ctx.out.result(formatFindings(findings, summary, failed, ctx));
  return failed ? Exit.invalid : Exit.ok;
}

interface ClientDocument {
  url: string;
  document: unknown;
  error?: string;
}

/**
 * A client id that is a URL names its client ID metadata document: fetched (a read-only GET through the document
 * cache) and audited as the client's registration. An http URL is itself a finding; it is fetched only where the URL
 * policy allows plain http.
 */
async function fetchClientDocument(flags: CheckFlags, ctx: Context): Promise<ClientDocument | undefined> {
  const clientId = flags.clientId ?? ctx.settings.clientId?.value;
  const { isClientIdUrl } = await import('../check/client-document.js');
  if (flags.clientFile || !clientId || !isClientIdUrl(clientId)) return undefined;
  const [{ parseJsonResponse }, { isSecureUrl, withoutCredentials }, { isCliError }] = await Promise.all([
    import('../net/http-response.js'),
    import('../net/url.js'),
    import('../errors.js'),
  ]);
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    return {
      url: clientId,
      document: undefined,
      error: `The client id ${clientId} is not a URL, so nothing was fetched.`,
    };
  }
  if (!isSecureUrl(url, ctx.insecure))
    return {
      url: clientId,
      document: undefined,
      error: `The document at ${clientId} was not fetched: plain http is used only for loopback hosts (or with --insecure).`,
    };
  const purpose = 'client ID metadata document';
  try {
    return {
      url: clientId,
      // Credentials in the client id are reported (client-document-url), never sent.
      document: parseJsonResponse(await (await ctx.documents()).get(withoutCredentials(url).href, purpose), purpose),
    };
  } catch (error) {
    if (!isCliError(error)) throw error;
    return { url: clientId, document: undefined, error: error.message };
  }
}

/** The audits of an authorization server or a client, which --api and --resource do not mix with. */
function refuseUnrelated(flags: CheckFlags, mode: string): void {
  const unrelated = (
    [
      ['--token', flags.token],
      ['--client-credentials', flags.clientCredentials],
      ['--probe', flags.probe],
      ['--client-file', flags.clientFile],
      ['--redirect-uri', flags.redirectUri],
      ['--max-token-lifetime', flags.maxTokenLifetime],
    ] as const
  ).filter(([, given]) => given !== undefined && given !== false);
  if (unrelated.length > 0)
    throw new CliError(
      'USAGE',
      `${mode} checks an API on its own; leave out ${unrelated.map(([name]) => name).join(', ')}.`,
      { hint: 'Audit the authorization server or the client in a separate oauth check run.' },
    );
}

async function runResource(flags: CheckFlags, resource: string, failOn: string, ctx: Context): Promise<number> {
  refuseUnrelated(flags, '--resource');
  for (const [name, given] of [
    ['--audience', flags.audience],
    ['--claim', flags.claim],
    ['--method', flags.method],
    ['--issuer', flags.issuer],
    ['--scope', flags.scope],
  ] as const)
    if (given !== undefined) throw new CliError('USAGE', `${name} does not go with --resource.`);
  const [{ runResourceCheck, formatResource }, { verdict }] = await Promise.all([
    import('./shared/resource-check.js'),
    import('../check/audit.js'),
  ]);
  const report = await runResourceCheck(resource, ctx);
  const { summary, failed } = verdict(report.findings, failOn);
  if (ctx.out.json) ctx.out.jsonResult({ ...report, summary: { ...summary, failed } });
  else ctx.out.result([...formatResource(report, ctx), ...formatFindings(report.findings, summary, failed, ctx)]);
  return failed ? Exit.invalid : Exit.ok;
}

async function runApi(flags: CheckFlags, api: string, failOn: string, ctx: Context): Promise<number> {
  refuseUnrelated(flags, '--api');
  const [{ runApiCheck, formatApiCases }, { verdict }] = await Promise.all([
    import('./shared/api-check.js'),
    import('../check/audit.js'),
  ]);
  const { refusal, ...report } = await runApiCheck({ ...flags, api }, ctx);
  const { summary, failed } = verdict(report.findings, failOn);
  // A finding beats inconclusive: an accepted bad token fails the run whatever else could not be decided.
  const inconclusive = refusal !== undefined || (!failed && report.undecided.length > 0);
  // The report goes to stdout even when inconclusive, so `| jq .summary` works; the reason goes to stderr.
  if (ctx.out.json) ctx.out.jsonResult({ ...report, summary: { ...summary, failed, inconclusive } });
  else if (!refusal)
    ctx.out.result([
      ...formatApiCases(report, ctx),
      ...(inconclusive ? [] : formatFindings(report.findings, summary, failed, ctx)),
    ]);
  if (refusal) throw refusal;
  if (inconclusive) throw undecidedError(report.undecided, report.cases.length);
  return failed ? Exit.invalid : Exit.ok;
}

function undecidedError(undecided: Array<{ name: string; why: string }>, total: number): CliError {
  const listed = undecided
    .slice(0, 8)
    .map((item) => `${item.name} (${item.why})`)
    .join(', ');
  const more = undecided.length > 8 ? `, and ${undecided.length - 8} more` : '';
  return new CliError(
    'CHECK_INCONCLUSIVE',
    `Inconclusive: ${undecided.length} of ${total} cases could not be decided, since the answer says nothing about the token: ${listed}${more}.`,
    {
      hint: 'The API rate-limited, was unavailable or did not answer: run again later, with a longer --timeout, or against an instance that does not limit this client.',
      details: { undecided },
    },
  );
}

async function clientUnderTest(
  flags: CheckFlags,
  ctx: Context,
  clientDocument: ClientDocument | undefined,
): Promise<(ClientUnderTest & { scope?: unknown }) | undefined> {
  const { document } = clientDocument ?? {};
  let registration: Record<string, unknown> =
    document !== null && typeof document === 'object' && !Array.isArray(document)
      ? { ...document, client_id: clientDocument?.url }
      : {};
  if (flags.clientFile) {
    const text = readUserFile(flags.clientFile, '--client-file').toString('utf8');
    try {
      registration = JSON.parse(text) as Record<string, unknown>;
    } catch (error) {
      throw new CliError(
        'FILE_UNREADABLE',
        `Cannot use --client-file ${flags.clientFile}: ${(error as Error).message}`,
        {
          hint: 'Give a client registration as JSON (RFC 7591): {"redirect_uris": [...], "grant_types": [...], "token_endpoint_auth_method": "none"}.',
        },
      );
    }
    if (registration === null || typeof registration !== 'object' || Array.isArray(registration)) {
      throw new CliError('INPUT_MALFORMED', `--client-file ${flags.clientFile} is not a JSON object.`);
    }
  }
  const strings = (value: unknown): string[] =>
    Array.isArray(value) ? value.map(String) : typeof value === 'string' ? [value] : [];
  const clientId = flags.clientId ?? (registration.client_id as string | undefined) ?? ctx.settings.clientId?.value;
  const redirectUris = [...strings(registration.redirect_uris), ...(flags.redirectUri ?? [])];
  const grantTypes = flags.grantType ?? strings(registration.grant_types);
  const responseTypes = flags.responseType ?? strings(registration.response_types);
  // A profile saved by "oauth login" leaves out auth_method for a public client; a bare registration means
  // client_secret_basic (RFC 7591 §2), which the rules apply when no method is known.
  const fromProfile = !flags.clientFile && clientId !== undefined && clientId === ctx.profile()?.client_id;
  const authMethod =
    flags.authMethod ??
    (registration.token_endpoint_auth_method as string | undefined) ??
    (flags.privateKey ? 'private_key_jwt' : undefined) ??
    ctx.settings.authMethod?.value ??
    // A published document holds no secret: a client without a method there is public.
    ((fromProfile || clientDocument) && !flags.confidential ? 'none' : undefined);
  const given =
    flags.clientFile ||
    flags.clientId ||
    flags.redirectUri ||
    flags.grantType ||
    flags.responseType ||
    flags.authMethod ||
    flags.public ||
    flags.confidential;
  if (!given && !clientId) return undefined;
  const secret =
    (await clientSecret(ctx, { clientSecretFile: flags.clientSecretFile })) ??
    (registration.client_secret as string | undefined);
  if (secret) ctx.knownSecrets.add(secret);
  const client: ClientUnderTest & { scope?: unknown } = {
    redirect_uris: redirectUris,
    // RFC 7591 §2: the defaults are authorization_code and code.
    grant_types: grantTypes.length ? grantTypes : ['authorization_code'],
    response_types: responseTypes.length ? responseTypes : ['code'],
    ...(clientId ? { client_id: clientId } : {}),
    ...(authMethod ? { token_endpoint_auth_method: authMethod } : {}),
    ...(typeof registration.application_type === 'string' ? { application_type: registration.application_type } : {}),
    ...(flags.public ? { public: true } : flags.confidential ? { public: false } : {}),
    ...(secret ? { client_secret: secret } : {}),
    ...(typeof registration.code_challenge_method === 'string'
      ? { code_challenge_method: registration.code_challenge_method }
      : {}),
    ...(registration.scope !== undefined ? { scope: registration.scope } : {}),
  };
  return client;
}

/** The profile's stored session when it is this run's issuer's and client's (for its DPoP binding), else none. */
async function profileSession(ctx: Context) {
  const [{ store }, { sessionIfOwned }] = await Promise.all([
    import('./shared/store.js'),
    import('./shared/stored-session.js'),
  ]);
  return sessionIfOwned(ctx, await store(ctx)).catch(() => undefined);
}

async function serviceToken(flags: CheckFlags, ctx: Context, dpopAlg: DpopAlg | undefined) {
  const [{ connect }, { clientCredentials }, { newDpopKey }] = await Promise.all([
    import('./shared/connect.js'),
    import('../oauth/grants.js'),
    import('./shared/dpop.js'),
  ]);
  const dpop = dpopAlg ? await newDpopKey(ctx, dpopAlg) : undefined;
  // The client authenticates as the flags say (--auth-method, --private-key, the secret), as `oauth token` would.
  const connection = await connect(
    ctx,
    {
      issuer: flags.issuer,
      clientId: flags.clientId,
      clientSecretFile: flags.clientSecretFile,
      authMethod: flags.authMethod,
      privateKey: flags.privateKey,
    },
    { confidentialGrant: 'client credentials', ...(dpop ? { dpop } : {}) },
  );
  if (dpopAlg)
    (await import('../oauth/dpop.js')).assertServerAlg(
      connection.as,
      dpopAlg,
      (await import('./shared/dpop.js')).dpopAlgOrigin(ctx),
    );
  const scope = ctx.settings.scope?.value;
  const response = await clientCredentials(connection.protocol, scope ? { scope: [scope] } : {});
  return { token: response.access_token, tokenType: String(response.token_type ?? ''), key: dpop };
}

function formatFindings(
  findings: Finding[],
  summary: { error: number; warn: number; info: number },
  failed: boolean,
  ctx: Context,
): string[] {
  const style = ctx.out.style;
  const badge = { error: style.red('✗ error'), warn: style.yellow('! warn '), info: style.dim('· info ') };
  const lines: string[] = [];
  for (const area of Object.keys(AREA_TITLES) as Area[]) {
    const inArea = findings.filter((item) => item.area === area);
    if (inArea.length === 0) continue;
    lines.push(style.bold(AREA_TITLES[area]));
    for (const item of inArea) {
      lines.push(`  ${badge[item.severity]}  ${style.cyan(item.id)}  ${item.message}`);
      const shape = tokenShapeText(item.evidence?.token);
      if (shape) lines.push(`           ${style.dim(`evidence: ${shape}`)}`);
      if (item.severity !== 'info') lines.push(`           ${style.dim(`${item.spec} · fix: ${item.fix}`)}`);
    }
    lines.push('');
  }
  const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
  const counts = `${plural(summary.error, 'error')}, ${plural(summary.warn, 'warning')}, ${plural(summary.info, 'note')}`;
  lines.push(
    findings.length === 0
      ? `${style.green('✓')} Nothing to report.`
      : `${failed ? style.red('✗ Failed:') : style.green('✓ Passed:')} ${counts}.`,
  );
  return lines;
}

/** The shape of a token a finding is about (check --api): its header members and its claims' names, never the token. */
function tokenShapeText(token: unknown): string | undefined {
  if (token === null || typeof token !== 'object') return undefined;
  const { header, claims } = token as { header?: Record<string, unknown>; claims?: unknown };
  const members = Object.entries(header ?? {}).map(([name, value]) => `${name}: ${String(value)}`);
  const names = Array.isArray(claims) ? claims.map(String).join(', ') : '';
  return `header {${members.join(', ')}} · claims ${names || '(none)'}`;
}
