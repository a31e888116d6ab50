// What may reach a terminal from outside. A server, a token or a file controls most of what this tool prints; a control
// character in it can erase lines, move the cursor, retitle the window or write the clipboard (OSC 52). So every
// control character is shown escaped, as JSON would write it, and never sent as itself.

/**
 * C0 controls except newline and tab, DEL, C1 controls (0x9b is a one-byte CSI on some terminals), the bidi overrides
 * and isolates that reorder what is shown (CVE-2021-42574), and the Unicode line and paragraph separators.
 */
const UNPRINTABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;

const escaped = (char: string) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** The text with every control character escaped (ESC becomes the six characters \u001b). */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, escaped);
}

/**
 * Text for a line that must stay one line (an error, its hint, a warning): a newline from outside (an
 * error_description) would otherwise start a line of its own that reads like ours ("hint: run …").
 */
export function singleLine(text: string): string {
  return printable(text).replace(/[\n\t]/g, escaped);
}

/** JSON text that stays exact JSON and carries no control byte: JSON.stringify leaves DEL, C1 and U+2028/9 raw. */
export function printableJson(value: unknown): string {
  return printableJsonText(JSON.stringify(value) ?? 'null');
}

/** The same for text JSON.stringify made (C0 is already escaped there; newlines between documents stay). */
export function printableJsonText(json: string): string {
  return json.replace(/[\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g, escaped);
}
