// `oauth curl`: call an API with the profile's access token, curl's way of spelling it. The flow (discovery through
// RFC 9728, signing in for the resource, step-up) is src/oauth/resource-call.ts; here, the flags become its request and
// the answer becomes stdout and the exit code (shared/api-output.ts writes it, shared/api-sign-in.ts signs in on the way).
import { STATUS_CODES } from 'node:http';
import type { Context } from './context.js';
import { CliError, Exit } from '../errors.js';
import { assertSecureUrl, parseUrl } from '../net/url.js';
import type { CallResult } from '../oauth/resource-call.js';
import { MAX_BODY_BYTES, bodySink, printAnswer } from './shared/api-output.js';
import { dpopNonces } from './shared/dpop.js';
import { parseHeaders, parseMethod, requestBody } from './shared/api-request.js';
import { signInOnTheWay } from './shared/api-sign-in.js';
import { checkSignInFlags } from './shared/sign-in.js';
import { argument, defineCommand, flag, type FlagValues, option, repeatable } from './define.js';
import { CLIENT_FLAGS, SIGN_IN_FLAGS } from './shared/client-flags.js';
import { canPrompt } from './shared/prompt.js';

const FLAGS = {
  request: option('-X, --request <method>', 'HTTP method (default GET, or POST with a body)'),
  header: repeatable('-H, --header <header>', 'request header "Name: value" (repeatable)'),
  data: repeatable(
    '-d, --data <data>',
    "form body (POST, application/x-www-form-urlencoded; -d '' an empty one); @file, @- for stdin",
    { mayBeEmpty: true },
  ),
  dataBinary: option('--data-binary <data>', 'body sent exactly as given; @file sends the file byte for byte', {
    mayBeEmpty: true,
  }),
  json: option('--json <json>', 'JSON body (POST, content-type and accept application/json); @file reads a file'),
  include: flag('-i, --include', 'print the status line and the response headers before the body'),
  output: option('-o, --output <file>', 'write the body to this file instead of stdout (- is stdout)'),
  fail: flag('--no-fail', 'print the answer whatever its status and exit 0'),
  discover: flag('--discover', "read the API's RFC 9728 metadata before the first call"),
  login: flag('--login', 'sign in when the API asks for it (also without a terminal), and again for missing scopes'),
  register: flag(
    '--register',
    'signing in without a client id: register a public client at the server first (RFC 7591), if it can',
  ),
  scope: option('--scope <scopes>', 'scopes to ask for when signing in; env OAUTH_SCOPE'),
  // What a sign-in on the way needs: the server (one the API lists) and the client; no endpoint flags, since the
  // server is found through the API's metadata and discovery.
  issuer: CLIENT_FLAGS.issuer,
  clientId: CLIENT_FLAGS.clientId,
  clientSecretFile: CLIENT_FLAGS.clientSecretFile,
  clientSecretStdin: CLIENT_FLAGS.clientSecretStdin,
  authMethod: CLIENT_FLAGS.authMethod,
  privateKey: CLIENT_FLAGS.privateKey,
  cert: CLIENT_FLAGS.cert,
  key: CLIENT_FLAGS.key,
  keyPassphraseStdin: CLIENT_FLAGS.keyPassphraseStdin,
  ...SIGN_IN_FLAGS,
};

export type CurlFlags = FlagValues<typeof FLAGS>;

export const command = defineCommand({
  name: 'curl',
  description:
    "Call an API with the profile's access token (refreshed first when needed), in the Authorization header only: never " +
    'in the URL, and never to where a redirect points (redirects are not followed; -i shows the Location). On a 401 the ' +
    "API's protected resource metadata (RFC 9728: the challenge's resource_metadata, else /.well-known/oauth-protected-" +
    'resource) names the authorization server; on a terminal, or with --login, the profile signs in there for that ' +
    "resource (RFC 8707) and the call is made again, once. A sign-in that would replace the profile's session at " +
    'another server (or for another resource) is asked first on a terminal, and done without one only with --login; ' +
    'the replaced session is revoked at its server (--profile <name> keeps both). An insufficient_scope challenge names the missing scopes; ' +
    'with --login the profile signs in again for them. The body goes to stdout byte for byte on a pipe or with -o; on a ' +
    'terminal text is shown with control characters escaped and binary is not shown. A 2xx body is passed on as it ' +
    'arrives, up to 1 GiB; other answers, and any on a terminal, are read whole, up to 100 MiB. --timeout bounds the ' +
    'whole exchange.',
  args: { url: argument('<url>', 'the API URL') },
  flags: FLAGS,
  examples: [
    'oauth curl https://api.example.com/orders',
    'oauth curl -i https://api.example.com/orders/42',
    'oauth curl --json \'{"item":"book"}\' https://api.example.com/orders',
    'oauth curl -X DELETE https://api.example.com/orders/42',
    'oauth curl --login https://api.example.com/orders   # sign in for it first if it asks (RFC 9728)',
    'oauth curl --login --register https://mcp.example.com/mcp   # no client yet: register one at its server',
    'oauth curl -o report.pdf https://api.example.com/reports/7',
  ],
  exits:
    'Exit codes: 0 a 2xx answer or 304 Not Modified (any answer with --no-fail) · 2 bad flags · 3 401/403 after sign-in\n' +
    '            and step-up · 4 sign-in needed (the command to run is printed) · 5 network error, redirect (a 3xx with\n' +
    '            a Location) or other status',
  run: (args, flags, ctx) => run(args.url!, flags, ctx),
});

async function run(target: string, flags: CurlFlags, ctx: Context): Promise<number> {
  const url = parseUrl(target, 'API URL');
  assertSecureUrl(url, ctx.insecure, 'API');
  checkSignInFlags(flags);
  const body = await requestBody(flags, ctx.io.stdin);
  const headers = { ...body?.headers, ...parseHeaders(flags.header ?? []) };
  const method = flags.request !== undefined ? parseMethod(flags.request) : body ? 'POST' : 'GET';
  const { callResource } = await import('../oauth/resource-call.js');

  const passOn = bodySink(ctx, flags);
  try {
    const result = await callResource(
      { url, method, headers, ...(body ? { body: body.data } : {}), maxBytes: MAX_BODY_BYTES, sink: passOn.sink },
      {
        discover: flags.discover === true,
        // Given to this run (flag or OAUTH_ISSUER), the server is the user's choice; the profile's is only preferred.
        issuer: ctx.settings.issuer?.source === 'profile' ? undefined : ctx.settings.issuer?.value,
        profileIssuer: ctx.settings.issuer?.value,
      },
      {
        http: () => ctx.http(),
        documents: () => ctx.documents(),
        insecure: ctx.insecure,
        dpopNonces: dpopNonces(ctx),
        ...signInOnTheWay(ctx, flags, url),
        note: (text) => {
          if (ctx.out.verbosity > 0 || canPrompt(ctx)) ctx.out.info(text);
        },
      },
    );
    passOn.done();
    printAnswer(ctx, flags, result.response, passOn.streamed());
    if (flags.fail === false || result.outcome === 'ok') return Exit.ok;
    throw failure(result, flags.login === true);
  } finally {
    passOn.close();
  }
}

/** An answer that is not ok, as the error whose exit code `exits` documents. */
function failure(result: CallResult, signedInAgain: boolean): CliError {
  const { response, challenge } = result;
  const status = `${response.status}${STATUS_CODES[response.status] ? ` ${STATUS_CODES[response.status]}` : ''}`;
  if (result.outcome === 'redirect') {
    const location = response.headers.location;
    return new CliError(
      'HTTP_REDIRECT',
      `The API answered ${status}${location ? `, to ${location}` : ''}; redirects are not followed, so the token goes nowhere else.`,
      {
        status: response.status,
        hint: 'Call the URL it points to yourself if you trust it (--no-fail prints this answer and exits 0).',
      },
    );
  }
  if (result.outcome === 'refused') {
    const said = challenge
      ? [
          challenge.error,
          challenge.errorDescription !== undefined ? JSON.stringify(challenge.errorDescription) : undefined,
        ]
          .filter(Boolean)
          .join(' ')
      : '';
    const missing = result.missingScopes?.length
      ? `; the token lacks the scopes ${result.missingScopes.join(' ')}`
      : '';
    return new CliError('API_REFUSED', `The API answered ${status}${said ? `: ${said}` : ''}${missing}.`, {
      status: response.status,
      ...(challenge?.error ? { oauthError: challenge.error } : {}),
      hint: result.missingScopes?.length
        ? signedInAgain
          ? 'A sign-in asked for them and the server did not grant them: the client or the account may not be allowed them (see oauth status).'
          : // Not a command line rebuilt from the URL alone: it would drop the method, the body and the headers.
            'Sign in again for them: run the same command again with --login.'
        : response.status === 401
          ? 'The token was not accepted: sign in again (oauth login, or oauth curl --login), or check the profile.'
          : 'The token was accepted but may not do this: check its scopes (oauth status) and the account’s rights.',
    });
  }
  return new CliError('HTTP_STATUS', `The API answered ${status}.`, {
    status: response.status,
    hint: 'The body above is what it said; --no-fail exits 0 whatever the status.',
  });
}
