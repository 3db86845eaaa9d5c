/** A town token as generateTownToken writes it; one echoed by an agent or a driver must not be stored. */
const TOWN_TOKEN = /\bgt_[A-Za-z0-9_-]{16,}/g;
/** The userinfo of a URL (`scheme://user:password@`): hosts take tokens there. */
const URL_USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^/\s@'"]+@/gi;
/**
 * The shortest encoded fragment worth redacting: a shorter one would also match ordinary text
 * and blank out half a log, and 8 base64 characters already carry 6 bytes of the secret.
 */
const MIN_ENCODED_FRAGMENT = 8;

/**
 * Replaces the userinfo of every URL in `text`, every town token, and every literal secret with
 * `***`. Git prints remote URLs in many of its errors, agents echo whatever they were given, and
 * drivers quote connection strings; whatever leaves a process as a message, a log line or an
 * event goes through here first. A secret is also found encoded: an agent that prints
 * `base64(key)`, its hex or its URL encoding (or the key inside a longer base64 text) must not get
 * it past the redaction.
 */
export function redactCredentials(text: string, secrets: readonly string[] = []): string {
  let redacted = text.replace(URL_USERINFO, '$1***@').replace(TOWN_TOKEN, 'gt_***');
  const forms = [...new Set(secrets.filter((s) => s !== '').flatMap(encodedForms))].sort((a, b) => b.length - a.length);
  for (const form of forms) redacted = redacted.split(form).join('***');
  return redacted;
}

/** The secret itself and the encodings an agent could print it in. */
function encodedForms(secret: string): string[] {
  const bytes = new TextEncoder().encode(secret);
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  const forms = [secret, encodeURIComponent(secret), encodeURIComponent(secret).replace(/%20/g, '+'), hex, hex.toUpperCase()];
  // The same bytes at each of the three positions inside a longer base64 text encode differently.
  for (let offset = 0; offset < 3; offset++) {
    const encoded = base64(new Uint8Array([...new Array<number>(offset).fill(0), ...bytes]));
    const whole = offset === 0 ? [encoded, encoded.replace(/=+$/, '')] : [];
    // Only the characters made of the secret's bits alone: the ones before and after depend on the neighbours.
    const core = encoded.slice(Math.ceil((8 * offset) / 6), Math.floor((8 * (offset + bytes.length)) / 6));
    for (const form of [...whole, core]) {
      forms.push(form, form.replace(/\+/g, '-').replace(/\//g, '_'));
    }
  }
  return forms.filter((form) => form === secret || form.length >= MIN_ENCODED_FRAGMENT);
}

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
