import { rigTextProblem } from './rig.inputs';

describe('rig input text', () => {
  const rig = { name: 'api', gitUrl: 'https://git.example.com/api.git', defaultBranch: 'main' };

  it('given a proper registration, when checked, then nothing is refused', () => {
    expect(rigTextProblem(rig)).toBeNull();
  });

  it.each([
    ['name', { name: 'ap\0i' }, 'name contains a control character U+0000 at position 2'],
    ['gitUrl', { gitUrl: 'https://git\u200B.example.com/a.git' }, 'gitUrl contains an invisible format character U+200B at position 11'],
    ['defaultBranch', { defaultBranch: 'ma\u2066in' }, 'defaultBranch contains a bidirectional control character U+2066 at position 2'],
  ])('given hostile text in %s, when checked, then that argument is named with the code point and position', (argument, change, message) => {
    expect(rigTextProblem({ ...rig, ...change })).toEqual({ argument, message });
  });
});
