// What a JSON value is, in the words an error message needs: "must be a URL string, not the number 42".

/**
 * The value's JSON type with its article: "null", "an array", "an object", "an empty string", "a string", "a number",
 * "a boolean". With `showValue`, a string, number or boolean is named with its value ("the number 42", "the string
 * "abc""), cut to a length a message can carry; leave it off wherever the value may be a secret (a stored token).
 */
export function describeJsonType(value: unknown, options: { showValue?: boolean } = {}): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string' && value === '') return 'an empty string';
  if (!options.showValue) return `a ${typeof value}`;
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return `the ${typeof value} ${shown.length > MAX_SHOWN ? `${shown.slice(0, MAX_SHOWN)}…` : shown}`;
}

const MAX_SHOWN = 60;
