// The command side of `oauth check --resource`: the URL as the user gave it, the readers the check uses (the resource
// metadata through oauth/resource.ts, authorization servers through discovery), and the report's header in words.
import type { ResourceCheckReport } from '../../check/resource.js';
import { CliError } from '../../errors.js';
import { assertSecureUrl, parseUrl } from '../../net/url.js';
import type { Context } from '../context.js';

export async function runResourceCheck(resource: string, ctx: Context): Promise<ResourceCheckReport> {
  const target = parseUrl(resource, 'resource');
  if (target.protocol !== 'http:' && target.protocol !== 'https:')
    throw new CliError('USAGE', `--resource must be an http(s) URL, not ${JSON.stringify(target.protocol)}.`);
  assertSecureUrl(target, ctx.insecure, 'resource');
  const [{ checkResource }, { discoverResource }, { fetchMetadata }] = await Promise.all([
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
      const url = parseUrl(issuer, 'authorization server');
      // An http authorization server is itself a finding, not a reason to stop: fetch it anyway (read-only GET).
      assertSecureUrl(url, true, 'authorization server');
      return (await fetchMetadata(url, { cache: await ctx.documents(), insecure: true, signal: ctx.io.signal }))
        .metadata;
    },
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
    ...(report.metadata?.authorization_servers ?? []).map((issuer) => `  authorization server: ${issuer}`),
    '',
  ];
}
