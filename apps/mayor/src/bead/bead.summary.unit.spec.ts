import { bead, beadDetail, convoy } from '../mayor.fixtures';
import { summarizeDependencies, summarizeRetriedBead } from './bead.summary';

const schema = bead(0, 'Schema', { status: 'CLOSED' });
const db = bead(1, 'DB');
const api = bead(2, 'API');

describe('bead summaries', () => {
  it('given a dependency was added, when summarised, then it names both beads and everything the bead waits on now', () => {
    const after = beadDetail({ ...api, blockedBy: [{ id: schema.id }, { id: db.id }] });

    expect(summarizeDependencies(after, convoy('Login', [schema, db, api]), { added: true, otherId: db.id })).toBe(
      'Bead #2 "API" waits on #1 "DB"; it now waits on #0 "Schema", #1 "DB".',
    );
  });

  it('given the last dependency was removed, when summarised, then it says the bead waits on nothing', () => {
    expect(summarizeDependencies(beadDetail(api), convoy('Login', [schema, db, api]), { added: false, otherId: schema.id })).toBe(
      'Bead #2 "API" no longer waits on #0 "Schema"; it now waits on nothing.',
    );
  });

  it('given a failed bead was retried, when summarised, then it is open again after its attempts and the held beads are released', () => {
    const text = summarizeRetriedBead(beadDetail(bead(0, 'Schema', { status: 'OPEN', attemptCount: 3 })));

    expect(text).toContain('Bead #0 "Schema" is OPEN again after 3 attempts');
    expect(text).toContain('released');
  });
});
