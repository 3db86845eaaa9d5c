import { ChangeSnapshots } from './live.snapshots';

describe('ChangeSnapshots', () => {
  it('given many subscribers of one change, when they ask at once, then the change is loaded once', async () => {
    const snapshots = new ChangeSnapshots<string>();
    let loads = 0;
    const load = async () => `convoy at seq 7 (load ${++loads})`;

    const seen = await Promise.all(Array.from({ length: 50 }, () => snapshots.get('town-a gt.evt.a.convoy.c 7', load)));

    expect(loads).toBe(1);
    expect(new Set(seen)).toEqual(new Set(['convoy at seq 7 (load 1)']));
  });

  it('given a load that failed, when the next subscriber asks, then it is loaded again', async () => {
    const snapshots = new ChangeSnapshots<string>();
    await expect(snapshots.get('k', () => Promise.reject(new Error('read model late')))).rejects.toThrow('read model late');

    await expect(snapshots.get('k', async () => 'loaded')).resolves.toBe('loaded');
  });

  it('given more changes than it keeps, when a new one arrives, then the oldest is dropped and the size stays bounded', async () => {
    const snapshots = new ChangeSnapshots<number>(2);
    await snapshots.get('a', async () => 1);
    await snapshots.get('b', async () => 2);
    await snapshots.get('c', async () => 3);

    expect(snapshots.size).toBe(2);
    let reloaded = false;
    await snapshots.get('a', async () => ((reloaded = true), 1));
    expect(reloaded).toBe(true);
  });
});
