// The scopes a token carries.

/** Scopes from `scope` (RFC 9068, space-separated) or `scp` (a common array form). */
export function grantedScopes(payload: Record<string, unknown>): string[] {
  const value = payload.scope ?? payload.scp;
  if (typeof value === 'string') return value.split(' ').filter(Boolean);
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return [];
}
