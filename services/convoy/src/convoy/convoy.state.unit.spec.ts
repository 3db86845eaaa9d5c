import { envelope } from '../decider/decider.specification';
import { evolve, initialState } from './convoy.decider';
import { deliver, historyOf, RIG_API, RIG_WEB, sha, slingBatch, task } from './convoy.decider.fixture';

describe('convoy state', () => {
  it('given a review-and-merge convoy whose beads all merged, when it lands, then its state holds each rig’s last merge as that rig’s landing', () => {
    const sling = slingBatch([task('api', [], RIG_API), task('web', [], RIG_WEB)], { mergeMode: 'REVIEW_AND_MERGE', parallel: true });
    const history = historyOf([sling, ...deliver(0, sha('1')), ...deliver(1, sha('2'))]);
    const state = initialState();
    for (const event of envelope(history, sling)) evolve(state, event);

    expect(state.status).toBe('LANDED');
    expect(state.landings).toEqual(new Map([[RIG_API, sha('1')], [RIG_WEB, sha('2')]]));
  });
});
