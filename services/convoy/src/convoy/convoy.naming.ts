const SLUG_LENGTH = 40;
const ID_PREFIX_LENGTH = 8;

/**
 * A branch-safe, readable fragment of free text. Only [a-z0-9-] survive, so a slug can never
 * break a ref name whatever the title holds (unicode, slashes, dots).
 */
export function slugify(text: string, fallback = 'convoy'): string {
  const slug = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, SLUG_LENGTH)
    .replace(/^-+|-+$/g, '');
  return slug || fallback;
}

const shortId = (id: string): string => id.slice(0, ID_PREFIX_LENGTH).toLowerCase();

/** The branch a REVIEW_THEN_LAND convoy collects its beads on, one per rig under the same name. */
export function featureBranchName(slug: string, convoyId: string): string {
  return `convoy/${slug}/${shortId(convoyId)}/head`;
}

/** The branch one agent works a bead on; the id prefixes keep two convoys of one title apart. */
export function beadBranchName(slug: string, convoyId: string, agentName: string, beadId: string): string {
  return `convoy/${slug}/${shortId(convoyId)}/gt/${slugify(agentName, 'agent')}/${shortId(beadId)}`;
}

/** Characters `git check-ref-format` refuses anywhere in a name. */
const FORBIDDEN = new Set([' ', '~', '^', ':', '?', '*', '[', '\\']);

/**
 * The rules of `git check-ref-format` for a branch name (checked as refs/heads/<name>), with one
 * deliberate extra: `@` alone is refused, since git reads a bare `@` as HEAD.
 */
export function isValidRefName(name: string): boolean {
  if (name === '' || name === '@' || name.endsWith('.')) return false;
  if (name.includes('..') || name.includes('@{')) return false;
  for (const char of name) {
    const code = char.charCodeAt(0);
    if (code < 0x20 || code === 0x7f || FORBIDDEN.has(char)) return false;
  }
  return name.split('/').every((part) => part !== '' && !part.startsWith('.') && !part.endsWith('.lock'));
}
