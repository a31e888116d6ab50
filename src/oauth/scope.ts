// Scope strings (RFC 6749 §3.3: space-separated), as the sign-ins and the API calls combine them.

export function scopeList(scope: string | undefined): string[] {
  return (scope ?? '').split(/\s+/).filter((item) => item !== '');
}

/** The scopes of all, each once, in the order first given. */
export function scopeUnion(...scopes: Array<string | undefined>): string {
  return [...new Set(scopes.flatMap(scopeList))].join(' ');
}
