/** A town token as generateTownToken writes it; one echoed by an agent or a driver must not be stored. */
const TOWN_TOKEN = /\bgt_[A-Za-z0-9_-]{16,}/g;
/** The userinfo of a URL (`scheme://user:password@`): hosts take tokens there. */
const URL_USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^/\s@'"]+@/gi;

/**
 * Replaces the userinfo of every URL in `text`, every town token, and every literal secret with
 * `***`. Git prints remote URLs in many of its errors, agents echo whatever they were given, and
 * drivers quote connection strings; whatever leaves a process as a message, a log line or an
 * event goes through here first.
 */
export function redactCredentials(text: string, secrets: readonly string[] = []): string {
  let redacted = text.replace(URL_USERINFO, '$1***@').replace(TOWN_TOKEN, 'gt_***');
  for (const secret of secrets) if (secret) redacted = redacted.split(secret).join('***');
  return redacted;
}
