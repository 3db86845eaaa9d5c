import { chaosPlan, FAULT_WINDOW_MS, prng } from './chaos.schedule';

describe('the chaos schedule', () => {
  it('given the same seed, when planned twice, then the plans are identical', () => {
    for (const seed of [1, 2, 3, 42, 2 ** 31 + 7]) expect(chaosPlan(seed)).toEqual(chaosPlan(seed));
  });

  it('given different seeds, when planned, then the fault schedules differ', () => {
    const schedules = new Set(Array.from({ length: 20 }, (_, seed) => JSON.stringify(chaosPlan(seed).faults)));
    expect(schedules.size).toBe(20);
  });

  it('given any seed, then faults are ordered inside the window, one convoy races close against its last merge, and one convoy has conflicting edits', () => {
    for (let seed = 0; seed < 200; seed++) {
      const plan = chaosPlan(seed);
      expect(plan.faults.length).toBeGreaterThanOrEqual(2);
      expect(plan.faults.map((f) => f.atMs)).toEqual([...plan.faults.map((f) => f.atMs)].sort((a, b) => a - b));
      for (const fault of plan.faults) expect(fault.atMs).toBeLessThanOrEqual(FAULT_WINDOW_MS);
      expect(plan.convoys.filter((c) => c.closeRacesLastMerge)).toHaveLength(1);
      const edits = plan.convoys.flatMap((c) => c.tasks).filter((t) => t.body?.startsWith('demo:edit shared.txt'));
      expect(edits.length).toBeGreaterThanOrEqual(2);
    }
  });

  it('given many seeds, then every kind of fault and every service is planned somewhere', () => {
    const faults = Array.from({ length: 50 }, (_, seed) => chaosPlan(seed).faults).flat();
    expect(new Set(faults.map((f) => f.kind))).toEqual(new Set(['kill-service', 'kill-nats', 'stop-postgres']));
    expect(new Set(faults.flatMap((f) => (f.kind === 'kill-service' ? [f.service] : [])))).toEqual(new Set(['convoy', 'gateway', 'dispatcher', 'git-runner']));
  });

  it('given a seed, then the generator yields numbers in [0, 1) and repeats itself', () => {
    const [a, b] = [prng(7), prng(7)];
    const draws = Array.from({ length: 1000 }, () => a());
    expect(draws).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(draws.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});
