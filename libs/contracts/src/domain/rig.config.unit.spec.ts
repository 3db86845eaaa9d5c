import { DEFAULT_RIG_CONFIG, RigConfig, RigConfigInput } from './rig.config';

describe('rig settings of the merge queue', () => {
  it('given no queue settings, then a rig batches 8 beads, checks 2 batches at once and does not retry failures', () => {
    expect(DEFAULT_RIG_CONFIG).toMatchObject({ mergeBatchMax: 8, speculativeDepth: 2, checkConcurrency: 2, retryFlakyChecks: false });
    expect(RigConfig.parse(DEFAULT_RIG_CONFIG)).toEqual(DEFAULT_RIG_CONFIG);
  });

  it.each([
    ['mergeBatchMax', 33],
    ['mergeBatchMax', 0],
    ['speculativeDepth', 5],
    ['checkConcurrency', 9],
    ['checkConcurrency', 1.5],
  ])('given a town asking for %s %s, then it is refused naming the setting', (field, value) => {
    const parsed = RigConfigInput.safeParse({ [field]: value });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((issue) => issue.path.join('.'))).toEqual([field]);
  });

  it('given a town asking for the most of everything, then it gets at most 4 batches of 32 beads and 8 check runs at once on a rig', () => {
    const greedy = { mergeBatchMax: 32, speculativeDepth: 4, checkConcurrency: 8, retryFlakyChecks: true };
    expect(RigConfigInput.parse(greedy)).toEqual(greedy);
  });
});
