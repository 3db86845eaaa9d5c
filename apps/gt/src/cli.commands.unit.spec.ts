import { COMMANDS, findCommand, usage } from './cli.commands';

describe('the command table', () => {
  it('given two words, when looked up, then the two-word command wins and the rest are its arguments', () => {
    expect(findCommand(COMMANDS, ['convoy', 'status', 'abc', '--watch'])).toEqual({
      command: expect.objectContaining({ name: 'convoy status' }),
      rest: ['abc', '--watch'],
    });
  });

  it('given a one-word command, when looked up, then its arguments start at the second word', () => {
    expect(findCommand(COMMANDS, ['sling', 'Fix', 'login'])?.rest).toEqual(['Fix', 'login']);
  });

  it('given an unknown command, when looked up, then nothing is found', () => {
    expect(findCommand(COMMANDS, ['convoy', 'explode'])).toBeNull();
  });

  it('given gt help, when printed, then every command and every exit code is documented', () => {
    const text = usage(COMMANDS);
    for (const command of COMMANDS) expect(text).toContain(command.usage);
    for (const code of [0, 1, 2, 3, 4, 5]) expect(text).toMatch(new RegExp(`^  ${code}  `, 'm'));
    expect(text).toContain('GT_TOKEN');
  });

  it('given every command, when listed, then names are unique and each usage starts with gt and its name', () => {
    expect(new Set(COMMANDS.map((c) => c.name)).size).toBe(COMMANDS.length);
    for (const command of COMMANDS) expect(command.usage.startsWith(`gt ${command.name}`)).toBe(true);
  });
});
