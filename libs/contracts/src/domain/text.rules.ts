/**
 * What user text may contain, checked where commands are decided (and early by clients and the
 * gateway, with the same rules). Every string a town sends ends up in PostgreSQL, in JSON, in git
 * commit messages and on a reviewer's screen: a NUL is refused by PostgreSQL, a lone surrogate
 * by strict JSON and UTF-8 encoders, a newline in a one-line field forges a commit trailer, and
 * bidi or zero-width characters make a name read differently from what it is.
 */

/**
 * Bounds per field, in UTF-16 code units (what `.length` counts). A body is one agent's prompt:
 * 16 KiB is several pages of instructions, and 10,000 such bodies would already be 160 MiB, so
 * the plan's byte limit, not this one, bounds a whole plan.
 */
export const TEXT_LIMITS = {
  name: 100,
  title: 200,
  branch: 200,
  reason: 20_000,
  body: 16 * 1024,
} as const;

/**
 * `line`: one line, visible characters only (names, titles, branch names).
 * `reason`: one line, but invisible format characters are tolerated (a reason is never an identifier).
 * `body`: newline, carriage return and tab allowed; no other control character.
 */
export type TextKind = 'line' | 'reason' | 'body';

export interface TextProblem {
  /** The offending character as `U+XXXX`, or null for a length problem. */
  codePoint: string | null;
  /** Index in code points from the start of the value, or null for a length problem. */
  position: number | null;
  message: string;
}

/**
 * Per kind, the characters refused. With the `u` flag a class range of surrogates matches only a
 * lone surrogate: a well-formed pair is one code point. \p{Cc} holds C0, DEL and C1 controls;
 * \p{Cf} the invisible format characters (zero-width, soft hyphen, word joiner, BOM, tags) and
 * the bidi embeddings, overrides and isolates; U+2028/U+2029 break a line as a newline does.
 */
const REFUSED: Record<TextKind, RegExp> = {
  line: /[\p{Cc}\p{Cf}\u2028\u2029\uD800-\uDFFF]/u,
  reason: /[\p{Cc}\u2028\u2029\uD800-\uDFFF]/u,
  body: /(?![\n\r\t])[\p{Cc}\uD800-\uDFFF]/u,
};
const BIDI = /[\u202A-\u202E\u2066-\u2069]/;

export function codePointLabel(char: string): string {
  return `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

function describeChar(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  if (code >= 0xd800 && code <= 0xdfff) return 'a lone surrogate';
  if (char === '\n' || char === '\r' || char === '\u2028' || char === '\u2029') return 'a line break';
  if (/\p{Cc}/u.test(char)) return 'a control character';
  if (BIDI.test(char)) return 'a bidirectional control character';
  return 'an invisible format character';
}

/**
 * The first character `value` may not hold, or its length problem; null when it is fine. The
 * field is named as the client addressed it (`tasks[3].title`), so the message stands alone.
 * One regular expression scans the value, so a plan of large bodies is checked quickly.
 */
export function textProblem(field: string, value: string, kind: TextKind, maxLength: number): TextProblem | null {
  if (value.length > maxLength) {
    return { codePoint: null, position: null, message: `${field} must be at most ${maxLength} characters (it has ${value.length})` };
  }
  const found = REFUSED[kind].exec(value);
  if (!found) return null;
  const char = found[0];
  const position = [...value.slice(0, found.index)].length;
  const codePoint = codePointLabel(char);
  return { codePoint, position, message: `${field} contains ${describeChar(char)} ${codePoint} at position ${position}` };
}

/** The UTF-8 size of a value's JSON, as the event log stores it. */
export function jsonByteLength(value: unknown): number {
  return new TextEncoder().encode(JSON.stringify(value)).length;
}

/** NUL and lone surrogates: what PostgreSQL text columns or strict JSON refuse. */
const UNSTORABLE = /[\0\uD800-\uDFFF]/gu;
const LINE_BREAKING = /[\p{Cc}\u2028\u2029]/gu;

/**
 * Text that PostgreSQL and JSON accept whatever it held: NUL and lone surrogates become U+FFFD.
 * For storing what the log already holds (events written before these rules), never for
 * accepting new input, which is refused instead.
 */
export function storableText(value: string): string {
  return value.replace(UNSTORABLE, '\uFFFD');
}

/**
 * The same value with every string and key made storable (see storableText), for whole events on their
 * way into PostgreSQL. Values holding nothing to replace come back as they are, not copied.
 */
export function storableValue<T>(value: T): T {
  if (typeof value === 'string') return storableText(value) as T;
  if (Array.isArray(value)) {
    const items = value.map(storableValue);
    return (items.some((item, i) => item !== value[i]) ? items : value) as T;
  }
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    let changed = false;
    // Keys too: jsonb refuses a NUL in a key as in a value.
    const entries = Object.entries(value).map(([key, item]) => {
      const storedKey = storableText(key);
      const stored = storableValue(item);
      changed ||= stored !== item || storedKey !== key;
      return [storedKey, stored] as const;
    });
    return (changed ? Object.fromEntries(entries) : value) as T;
  }
  return value;
}

/** One line whatever it held: every control character and line break becomes a space. For messages built from old events. */
export function singleLineText(value: string): string {
  return storableText(value).replace(LINE_BREAKING, ' ');
}
