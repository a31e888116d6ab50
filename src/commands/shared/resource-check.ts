// The command side of `oauth check --resource`: the URL as the user gave it, the readers the check uses (the resource
// metadata through oauth/resource.ts, authorization servers through discovery), and the report's header in words.
import { MAX_AUTHORIZATION_SERVERS, type ResourceCheckReport } from '../../check/resource.js';
import { CliError } from '../../errors.js';
import { assertSecureUrl, parseUrl, serverUrl } from '../../net/url.js';
import type { Context } from '../context.js';

export async function runResourceCheck(resource: string, ctx: Context): Promise<ResourceCheckReport> {
  const target = parseUrl(resource, 'resource');
  if (target.protocol !== 'http:' && target.protocol !== 'https:')
    throw new CliError('USAGE', `--resource must be an http(s) URL, not ${JSON.stringify(target.protocol)}.`);
  assertSecureUrl(target, ctx.insecure, 'resource');
  const [{ checkResource }, { discoverResource }, { discover }] = await Promise.all([
    import('../../check/resource.js'),
    import('../../oauth/resource.js'),
    import('../../oauth/discovery.js'),
  ]);
  return checkResource(target, {
    http: await ctx.http(),
    discover: (url, metadataUrl) =>
      discoverResource(
        url,
        { documents: () => ctx.documents(), insecure: ctx.insecure },
        metadataUrl !== undefined ? { metadataUrl } : {},
      ),
    fetchServerMetadata: async (issuer) => {
      // The resource named it: the URL policy for server-supplied URLs applies, as for any server's URL. The document
      // is read as the client reads it (its issuer exactly the one asked for, its endpoints under the URL policy), so
      // a server the client would refuse is a finding here, not a pass.
      const url = serverUrl(issuer, 'authorization_servers', ctx.insecure, 'the resource metadata');
      const { metadata } = await discover(url, {
        cache: await ctx.documents(),
        insecure: ctx.insecure,
        signal: ctx.io.signal,
      });
      return { ...metadata };
    },
    insecure: ctx.insecure,
  });
}

/** What was asked and found, before the findings. */
export function formatResource(report: ResourceCheckReport, ctx: Context): string[] {
  return [
    ctx.out.style.bold(`Protected resource ${report.url}`),
    `  no token: HTTP ${report.status}${report.challenge ? ` · ${report.challenge.scheme} challenge` : ''}`,
    report.metadataUrl
      ? `  metadata: ${report.metadataUrl} (resource ${report.metadata?.resource})`
      : '  metadata: none',
    ...authorizationServerLines(report.metadata?.authorization_servers ?? []),
    '',
  ];
}

/** The servers that were asked, then how many more the metadata lists: a list of thousands is not printed. */
function authorizationServerLines(servers: string[]): string[] {
  const lines = servers.slice(0, MAX_AUTHORIZATION_SERVERS).map((issuer) => `  authorization server: ${issuer}`);
  const more = servers.length - MAX_AUTHORIZATION_SERVERS;
  if (more > 0) lines.push(`  authorization servers: and ${more} more, not checked`);
  return lines;
}
