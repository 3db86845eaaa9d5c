import { beadBranchName, featureBranchName, isValidRefName, slugify } from './convoy.naming';

const CONVOY_ID = 'c0ffee00-1234-4abc-8def-0123456789ab';
const BEAD_ID = 'beadbead-5678-4abc-8def-0123456789ab';

describe('convoy naming', () => {
  it.each([
    ['Ship Login!', 'ship-login'],
    ['  --Hello__World--  ', 'hello-world'],
    ['Ünïcode títle', 'n-code-t-tle'],
    ['release/v1.2..3', 'release-v1-2-3'],
    ['🚀🚀', 'convoy'],
    ['', 'convoy'],
  ])('given the title %j, when slugified, then it reads %j', (title, slug) => {
    expect(slugify(title)).toBe(slug);
  });

  it('given a 60-character title with a separator at character 40, when slugified, then the cut leaves no trailing dash', () => {
    const title = `${'a'.repeat(39)} ${'b'.repeat(20)}`;
    expect(slugify(title)).toBe('a'.repeat(39));
  });

  it('given a long title, when slugified, then the slug is at most 40 characters', () => {
    expect(slugify('word '.repeat(30))).toHaveLength(39);
  });

  it('given an agent name of symbols only, when used for a branch, then the agent part falls back to "agent"', () => {
    expect(beadBranchName('fix', CONVOY_ID, '🤖', BEAD_ID)).toBe('convoy/fix/c0ffee00/gt/agent/beadbead');
  });

  it('given a slug and a convoy, when the feature branch is named, then it is convoy/<slug>/<id8>/head', () => {
    expect(featureBranchName('ship-login', CONVOY_ID)).toBe('convoy/ship-login/c0ffee00/head');
  });

  it('given an agent and a bead, when the bead branch is named, then it is convoy/<slug>/<id8>/gt/<agent>/<bead8>', () => {
    expect(beadBranchName('ship-login', CONVOY_ID, 'Bo Peep', BEAD_ID)).toBe('convoy/ship-login/c0ffee00/gt/bo-peep/beadbead');
  });

  it.each(['main', 'feature/login', 'release-1.0', 'a.b/c', 'é😀', 'a@b', 'x.LOCK', '-leading-dash', 'a./b'])(
    'given %j, when checked, then it is a valid ref name',
    (name) => expect(isValidRefName(name)).toBe(true),
  );

  it.each([
    ['', 'empty'],
    ['@', 'a bare @'],
    ['a..b', 'two dots'],
    ['a b', 'a space'],
    ['a\tb', 'a tab'],
    ['a\u0001b', 'a control character'],
    ['a\u007fb', 'DEL'],
    ['a~b', 'a tilde'],
    ['a^b', 'a caret'],
    ['a:b', 'a colon'],
    ['a?b', 'a question mark'],
    ['a*b', 'an asterisk'],
    ['a[b', 'an opening bracket'],
    ['a\\b', 'a backslash'],
    ['.hidden', 'a leading dot'],
    ['a/.b', 'a component starting with a dot'],
    ['a.lock', 'a .lock suffix'],
    ['a.lock/b', 'a component ending in .lock'],
    ['a/', 'a trailing slash'],
    ['/a', 'a leading slash'],
    ['a//b', 'a double slash'],
    ['a.', 'a trailing dot'],
    ['a@{b', 'the @{ sequence'],
  ])('given %j (%s), when checked, then it is not a valid ref name', (name) => {
    expect(isValidRefName(name)).toBe(false);
  });
});
