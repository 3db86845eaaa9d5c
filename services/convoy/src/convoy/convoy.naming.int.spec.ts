import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { beadBranchName, featureBranchName, isValidRefName, slugify } from './convoy.naming';

/** Asks the real git; an argument array, so nothing in the name reaches a shell. */
function gitAccepts(name: string): boolean {
  try {
    execFileSync('git', ['check-ref-format', `refs/heads/${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Fragments that sit on the edges of git's rules, glued at random. */
const edgy = fc
  .array(
    fc.constantFrom(
      'a', 'Z', '0', '-', '_', '.', '..', '/', '//', '@', '{', '@{', '}', '~', '^', ':', '?', '*', '[', ']', '\\',
      ' ', '\t', '\n', '\u0001', '\u001f', '\u007f', '.lock', 'lock', 'é', '😀', '\u00a0', 'HEAD',
    ),
    { maxLength: 12 },
  )
  .map((parts) => parts.join(''));

/** Any text an argument can carry: git cannot receive a NUL. */
const anyText = fc.string({ unit: 'binary', maxLength: 30 }).map((s) => s.replace(/\0/g, ''));

const title = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  edgy,
);

describe('convoy naming against git check-ref-format', () => {
  it('given a bare @, when checked, then it is refused although git accepts refs/heads/@ (git reads @ as HEAD)', () => {
    expect(gitAccepts('@')).toBe(true);
    expect(isValidRefName('@')).toBe(false);
  });

  it('property: for strings on the edges of the rules, isValidRefName agrees with git', () => {
    fc.assert(
      fc.property(fc.oneof(edgy, anyText), (name) => {
        fc.pre(name !== '@');
        expect({ name, valid: isValidRefName(name) }).toEqual({ name, valid: gitAccepts(name) });
      }),
      { numRuns: 400 },
    );
  });

  it('property: branches named from any title and agent name are valid refs for git and for isValidRefName', () => {
    fc.assert(
      fc.property(title, title, fc.uuid(), fc.uuid(), (convoyTitle, agentName, convoyId, beadId) => {
        const slug = slugify(convoyTitle);
        for (const branch of [featureBranchName(slug, convoyId), beadBranchName(slug, convoyId, agentName, beadId)]) {
          expect({ branch, valid: isValidRefName(branch) }).toEqual({ branch, valid: true });
          expect({ branch, valid: gitAccepts(branch) }).toEqual({ branch, valid: true });
        }
      }),
      { numRuns: 150 },
    );
  });
});
