// What may reach a terminal from outside. A server, a token or a file controls most of what this tool prints; a control
// character in it can erase lines, move the cursor, retitle the window or write the clipboard (OSC 52). So every
// control character is shown escaped, as JSON would write it, and never sent as itself.

/**
 * C0 controls except newline and tab, DEL, C1 controls (0x9b is a one-byte CSI on some terminals), every Unicode
 * Bidi_Control character (ALM, LRM, RLM, the embeddings, overrides and isolates that reorder what is shown,
 * CVE-2021-42574), invisible characters that hide or split text (soft hyphen, zero-width space, Mongolian vowel
 * separator, word joiner and invisible operators, the deprecated format characters, Hangul fillers, the combining
 * grapheme joiner, interlinear annotation marks, byte-order mark), the Unicode line and paragraph separators; and, below,
 * tag characters (U+E0000–E007F, which hide text) and lone surrogates. Zero-width (non-)joiners stay: scripts and emoji
 * need them.
 */
const UNPRINTABLE =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u034f\u061c\u115f\u1160\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\u2028\u2029\u3164\ufeff\ufff9-\ufffb]/g;

const escaped = (char: string) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** The text with every control character escaped (ESC becomes the six characters \u001b). */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, escaped).replace(HIDDEN, escapedUnits);
}

/** Tag characters (a surrogate pair each) and surrogates without their other half. */
const HIDDEN = /\uDB40[\uDC00-\uDC7F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const escapedUnits = (units: string) => units.split('').map(escaped).join('');

/**
 * Text for one line of output. Every line this tool prints is one: a newline from outside (an error_description, a
 * user_code, a claim name) would otherwise start a line of its own that reads like ours ("hint: run …").
 */
export function singleLine(text: string): string {
  return printable(text).replace(/\n/g, escaped);
}

/** JSON text that stays exact JSON and carries no control byte: JSON.stringify leaves DEL, C1 and U+2028/9 raw. */
export function printableJson(value: unknown): string {
  return printableJsonText(JSON.stringify(value) ?? 'null');
}

/** The same for text JSON.stringify made (C0 is already escaped there; newlines between documents stay). */
export function printableJsonText(json: string): string {
  return json
    .replace(HIDDEN, escapedUnits)
    .replace(
      /[\u007f-\u009f\u00ad\u034f\u061c\u115f\u1160\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\u2028\u2029\u3164\ufeff\ufff9-\ufffb]/g,
      escaped,
    );
}
