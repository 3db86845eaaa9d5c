import fc from 'fast-check';
import { describeCycle, describeFlatBatch, isFlatBatch } from './dag.explain';

const quote = (title: string) => JSON.stringify(title);

describe('describeCycle', () => {
  it('given a loop of two tasks, names both by index and title in dependency order', () => {
    const titles = ['Schema', 'API'];
    expect(describeCycle([0, 1, 0], (i) => titles[i], quote)).toBe(
      'tasks 0 → 1 → 0 form a cycle: "Schema" depends on "API", "API" depends on "Schema"',
    );
  });

  it('given a very long loop, stays bounded and says how many pairs it left out', () => {
    const cycle = [...Array.from({ length: 30 }, (_, i) => i), 0];
    const text = describeCycle(cycle, (i) => `t${i}`, quote);
    expect(text).toContain('→ … → 0');
    expect(text).toContain('and 10 more');
  });

  it('names every title of any short loop', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat(50), { minLength: 2, maxLength: 20 }), (loop) => {
        const text = describeCycle([...loop, loop[0]], (i) => `task-${i}`, quote);
        return loop.every((i) => text.includes(`"task-${i}"`));
      }),
    );
  });
});

describe('isFlatBatch', () => {
  it('given several tasks with no edge, refuses unless they are declared parallel', () => {
    expect(isFlatBatch(3, 0, false)).toBe(true);
    expect(isFlatBatch(3, 0, true)).toBe(false);
    expect(isFlatBatch(3, 1, false)).toBe(false);
    expect(isFlatBatch(1, 0, false)).toBe(false);
  });

  it('explains the refusal with the field name the reader writes', () => {
    expect(describeFlatBatch(4, 'depends_on')).toMatch(/^4 tasks and no depends_on between them/);
  });
});
