// An on-disk cache for the public documents we GET (discovery metadata, JWKS), honouring Cache-Control, so a second
// command in a new process sends no request. Written by hand because no maintained library offers a small
// RFC 9111-aware file cache over undici's request API; the rules we need are few: max-age, no-store, no-cache, Age,
// Expires, ETag revalidation, a ceiling.
import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../store/atomic-file.js';
import type { HttpClient, HttpResponse } from './http.js';

/** Used when the server says nothing about caching. */
export const DEFAULT_TTL_SECONDS = 300;
/** A server may not pin a key set for longer than this. */
export const MAX_TTL_SECONDS = 24 * 3600;

interface Entry {
  url: string;
  fetchedAt: number;
  freshUntil: number;
  etag?: string;
  contentType?: string;
  body: string;
}

export interface CachedResponse extends HttpResponse {
  fromCache: boolean;
  /** When this representation was fetched from the server (ms since epoch). */
  fetchedAt: number;
}

export interface DocumentCache {
  get(url: string, purpose: string, options?: { forceRefresh?: boolean }): Promise<CachedResponse>;
  /** Drops a stored document that turned out unusable, so the next run asks the server again. */
  forget(url: string): Promise<void>;
}

/** How long a response may be used without asking again, in seconds; undefined means "do not store". */
export function freshnessSeconds(headers: Record<string, string>, nowMs: number): number | undefined {
  const directives = parseCacheControl(headers['cache-control'] ?? '');
  if (directives.has('no-store') || directives.has('private')) return undefined;
  if (directives.has('no-cache')) return 0;
  const age = Math.max(0, Number.parseInt(headers.age ?? '0', 10) || 0);
  const maxAge = directives.get('max-age');
  let lifetime: number | undefined;
  if (maxAge !== undefined && /^\d+$/.test(maxAge)) lifetime = Number(maxAge);
  else if (headers.expires) {
    const expires = Date.parse(headers.expires);
    const date = headers.date ? Date.parse(headers.date) : nowMs;
    lifetime = Number.isNaN(expires) ? 0 : Math.max(0, (expires - (Number.isNaN(date) ? nowMs : date)) / 1000);
  }
  return Math.min(Math.max(0, (lifetime ?? DEFAULT_TTL_SECONDS) - age), MAX_TTL_SECONDS);
}

function parseCacheControl(value: string): Map<string, string> {
  const directives = new Map<string, string>();
  for (const part of value.split(',')) {
    const [name, raw] = part.split('=', 2);
    if (name?.trim()) directives.set(name.trim().toLowerCase(), (raw ?? '').trim().replace(/^"|"$/g, ''));
  }
  return directives;
}

export function createDocumentCache(options: {
  http: HttpClient;
  /** A directory, or undefined for a cache that never stores (each process fetches). */
  directory: string | undefined;
  now: () => number;
  trace?: (line: string) => void;
}): DocumentCache {
  const { http, directory, now } = options;
  const fileFor = (url: string) =>
    join(directory!, `${createHash('sha256').update(url).digest('hex').slice(0, 32)}.json`);

  async function read(url: string): Promise<Entry | undefined> {
    if (!directory) return undefined;
    try {
      const entry = JSON.parse(await readFile(fileFor(url), 'utf8')) as Entry;
      return entry.url === url && typeof entry.body === 'string' ? entry : undefined;
    } catch {
      return undefined;
    }
  }

  async function write(entry: Entry): Promise<void> {
    if (!directory) return;
    try {
      await writeFileAtomic(fileFor(entry.url), JSON.stringify(entry), 0o600);
    } catch (error) {
      // The cache is an optimisation: a read-only or full disk only costs the next command a request.
      options.trace?.(`cache: not saved (${(error as Error).message})`);
    }
  }

  const asResponse = (entry: Entry, fromCache: boolean): CachedResponse => ({
    url: entry.url,
    status: 200,
    headers: entry.contentType ? { 'content-type': entry.contentType } : {},
    body: Buffer.from(entry.body, 'utf8'),
    elapsedMs: 0,
    fromCache,
    fetchedAt: entry.fetchedAt,
  });

  return {
    async get(url, purpose, { forceRefresh = false } = {}) {
      const cached = await read(url);
      if (cached && !forceRefresh && cached.freshUntil > now()) {
        options.trace?.(
          `cache: ${purpose} ${url} from disk (fresh for ${Math.round((cached.freshUntil - now()) / 1000)}s)`,
        );
        return asResponse(cached, true);
      }
      const headers: Record<string, string> = { accept: 'application/json' };
      if (cached?.etag && !forceRefresh) headers['if-none-match'] = cached.etag;
      const response = await http.request({ url, purpose, headers });
      const fetchedAt = now();
      const ttl = freshnessSeconds(response.headers, fetchedAt);
      if (response.status === 304 && cached) {
        const renewed = { ...cached, fetchedAt, freshUntil: fetchedAt + (ttl ?? 0) * 1000 };
        await write(renewed);
        return asResponse(renewed, false);
      }
      if (response.status === 200 && ttl !== undefined) {
        const entry: Entry = {
          url,
          fetchedAt,
          freshUntil: fetchedAt + ttl * 1000,
          body: response.body.toString('utf8'),
        };
        if (response.headers.etag) entry.etag = response.headers.etag;
        if (response.headers['content-type']) entry.contentType = response.headers['content-type'];
        // Only JSON is worth keeping; an HTML error page must not be served from the cache later.
        if (isJson(entry.body)) await write(entry);
      }
      return { ...response, fromCache: false, fetchedAt };
    },
    async forget(url) {
      if (directory) await rm(fileFor(url), { force: true }).catch(() => undefined);
    },
  };
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
