import { idlePolecat, polecatName, polecatOf, POLECAT_NAMES } from './polecat.names';

const RIG = '11111111-2222-4333-8444-555555555555';

describe('polecat names', () => {
  it('given the first slots, then they carry the fixed names and a rig-scoped id', () => {
    expect([0, 1, 2].map(polecatName)).toEqual(['Nux', 'Slit', 'Toast']);
    expect(polecatOf(RIG, 4)).toEqual({ id: '11111111-furiosa', name: 'Furiosa' });
  });

  it('given more polecats than names, then the names come round again numbered', () => {
    expect(polecatName(POLECAT_NAMES.length)).toBe('Nux-2');
    expect(polecatName(2 * POLECAT_NAMES.length + 1)).toBe('Slit-3');
    expect(polecatOf(RIG, POLECAT_NAMES.length).id).toBe('11111111-nux-2');
  });

  it('given some polecats busy, then the lowest-numbered idle one is picked', () => {
    const busy = new Set([polecatOf(RIG, 0).id, polecatOf(RIG, 2).id]);
    expect(idlePolecat(RIG, busy).name).toBe('Slit');
    expect(idlePolecat(RIG, new Set()).name).toBe('Nux');
  });
});
