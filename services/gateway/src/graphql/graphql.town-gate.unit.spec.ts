import fc from 'fast-check';
import { TownGate } from './graphql.town-gate';

describe('town gate', () => {
  it('given a town running its one heavy read, when more arrive, then they wait in order, and past the queue they are refused', async () => {
    const gate = new TownGate(1, 2);
    const admitted: string[] = [];
    await gate.enter('b');
    const second = gate.enter('b')?.then(() => admitted.push('second'));
    const third = gate.enter('b')?.then(() => admitted.push('third'));

    expect(gate.enter('b')).toBeNull();
    expect(gate.load('b')).toEqual({ running: 1, waiting: 2 });

    gate.leave('b');
    await second;
    expect(admitted).toEqual(['second']);
    gate.leave('b');
    await third;
    expect(admitted).toEqual(['second', 'third']);
  });

  it('given a town whose gate is full, when another town enters, then it runs at once', async () => {
    const gate = new TownGate(1, 0);
    await gate.enter('b');
    expect(gate.enter('b')).toBeNull();

    await expect(gate.enter('a')).resolves.toBeUndefined();
    expect(gate.load('a')).toEqual({ running: 1, waiting: 0 });
  });

  it('given any sequence of enters and leaves, then a town never runs more than its share nor queues more than the bound, and nothing admitted is lost', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.array(fc.boolean(), { maxLength: 60 }), async (perTown, queued, steps) => {
        const gate = new TownGate(perTown, queued);
        let running = 0;
        let waiting = 0;
        for (const enter of steps) {
          if (enter) {
            const admitted = gate.enter('b');
            if (admitted === null) {
              expect(waiting).toBe(queued);
              expect(running).toBe(perTown);
            } else if (running < perTown) {
              running += 1;
            } else {
              waiting += 1;
            }
          } else if (running > 0) {
            gate.leave('b');
            if (waiting > 0) waiting -= 1;
            else running -= 1;
          }
          expect(gate.load('b')).toEqual({ running, waiting });
          expect(running).toBeLessThanOrEqual(perTown);
          expect(waiting).toBeLessThanOrEqual(queued);
        }
      }),
    );
  });
});
