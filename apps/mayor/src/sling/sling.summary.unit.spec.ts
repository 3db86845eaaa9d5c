import { bead, convoy, id } from '../mayor.fixtures';
import { summarizeCreatedConvoy } from './sling.summary';

const schema = bead(0, 'Schema');
const api = bead(1, 'API', { blockedBy: [{ id: schema.id }] });
const ui = bead(2, 'UI', { blockedBy: [{ id: schema.id }] });
const waves = [[schema.id], [api.id, ui.id]];

describe('the answer to a new convoy', () => {
  it('given an active review-then-land convoy, when summarised, then it gives id, waves, feature branch, the first beads and the next call', () => {
    const text = summarizeCreatedConvoy(convoy('Login', [schema, api, ui], { waves, featureBranch: 'convoy/login/head' }));

    expect(text).toBe(
      `Created convoy "Login" (id ${id(50)}) with 3 beads in 2 waves, REVIEW_THEN_LAND on feature branch convoy/login/head. ` +
        'It is ACTIVE; agents start with "Schema". Follow it with gt_convoy_status.',
    );
  });

  it('given a staged convoy, when summarised, then it says a person reviews it and gt_convoy_start releases it', () => {
    const text = summarizeCreatedConvoy(convoy('Login', [schema, api, ui], { waves, status: 'STAGED', staged: true }));

    expect(text).toContain('It is STAGED');
    expect(text).toContain('gt_convoy_start');
  });

  it('given review-and-merge with many first beads, when summarised, then the mode is explained and the first wave is shortened', () => {
    const fixes = Array.from({ length: 5 }, (_, i) => bead(i, `Fix ${i}`));
    const text = summarizeCreatedConvoy(
      convoy('Fixes', fixes, { mergeMode: 'REVIEW_AND_MERGE', featureBranch: null, waves: [fixes.map((f) => f.id)] }),
    );

    expect(text).toContain('with 5 beads, REVIEW_AND_MERGE (each bead merges to the default branch once reviewed)');
    expect(text).toContain('agents start with "Fix 0", "Fix 1", "Fix 2" and 2 more.');
  });
});
