import { choiceFlag, integerFlag, parseCommandArgs } from './cli.command';
import { UsageError } from './cli.errors';

const command = { usage: 'gt thing <id> [--rig r] [--check c]...' };
const options = { rig: { type: 'string' }, check: { type: 'string', multiple: true }, staged: { type: 'boolean' } } as const;

describe('parseCommandArgs', () => {
  it('given flags in any order, when parsed, then values, repeated flags and --json are read', () => {
    const { values, positionals } = parseCommandArgs(command, ['--check', 'a=1', 'x', '--json', '--rig', 'web', '--check', 'b=2'], options, {
      min: 1,
      max: 1,
      names: 'the id',
    });
    expect(positionals).toEqual(['x']);
    expect(values).toMatchObject({ rig: 'web', check: ['a=1', 'b=2'], json: true });
  });

  it('given an unknown flag, when parsed, then it is a usage error that names it and shows the usage', () => {
    expect(() => parseCommandArgs(command, ['x', '--rgi', 'web'], options, { min: 1, max: 1, names: 'the id' })).toThrow(
      new UsageError("Unknown option '--rgi'\nusage: gt thing <id> [--rig r] [--check c]..."),
    );
  });

  it('given a string flag without its value, when parsed, then it is a usage error', () => {
    expect(() => parseCommandArgs(command, ['x', '--rig'], options, { min: 1, max: 1, names: 'the id' })).toThrow(UsageError);
  });

  it('given a missing positional, when parsed, then the message says what is missing', () => {
    expect(() => parseCommandArgs(command, [], options, { min: 1, max: 1, names: 'the id' })).toThrow(/^missing the id\nusage: gt thing/);
  });

  it('given one positional too many, when parsed, then it is named', () => {
    expect(() => parseCommandArgs(command, ['a', 'b'], options, { min: 1, max: 1, names: 'the id' })).toThrow(/^unexpected argument "b"/);
  });

  it('given a value after --, when parsed, then it is a positional even if it looks like a flag', () => {
    expect(parseCommandArgs(command, ['--', '--json'], options, { min: 1, max: 1, names: 'the id' }).positionals).toEqual(['--json']);
  });
});

describe('integerFlag', () => {
  it.each(['0', '101', '-1', '2.5', 'ten', ''])('given %j for a 1..100 flag, when read, then it is a usage error naming the flag', (value) => {
    expect(() => integerFlag('limit', value, 1, 100)).toThrow(`--limit must be a whole number from 1 to 100, not "${value}"`);
  });

  it('given a number in range, when read, then it is that number; given none, then undefined', () => {
    expect(integerFlag('limit', '42', 1, 100)).toBe(42);
    expect(integerFlag('limit', undefined, 1, 100)).toBeUndefined();
  });
});

describe('choiceFlag', () => {
  it('given lower case with dashes, when read, then it is the matching choice', () => {
    expect(choiceFlag('merge-mode', 'review-and-merge', ['REVIEW_THEN_LAND', 'REVIEW_AND_MERGE'])).toBe('REVIEW_AND_MERGE');
  });

  it('given an unknown word, when read, then the usage error lists the choices', () => {
    expect(() => choiceFlag('status', 'done', ['ACTIVE', 'LANDED'])).toThrow('--status must be one of active, landed, not "done"');
  });
});
