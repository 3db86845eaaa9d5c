import fc from 'fast-check';
import { countObjects } from './graphql.fair-share';
import { stringifyInSlices } from './graphql.response';
import { TimeSlicer } from './graphql.time-slice';

describe('answers built in time slices', () => {
  it('given any JSON value, when stringified in slices, then it is exactly what JSON.stringify gives, with Apollo’s newline', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        expect(await stringifyInSlices(value)).toBe(`${JSON.stringify(value)}\n`);
      }),
    );
  });

  it('given a result with undefined fields and list items, when stringified in slices, then they are left out and written null as JSON.stringify does', async () => {
    const result = { data: { convoy: { beads: [{ id: 'a', title: undefined }, undefined, { id: 'b', blockedBy: [{ id: 'a' }] }] } }, errors: undefined };

    expect(await stringifyInSlices(result)).toBe(`${JSON.stringify(result)}\n`);
  });

  it('given a result, when its objects are counted in slices, then every object counts once and lists and scalars count nothing', async () => {
    const data = { convoy: { id: 'c', beads: [{ id: 'a', blockedBy: [] }, { id: 'b', blockedBy: [{ id: 'a' }] }], rig: null } };

    await expect(countObjects(data, new TimeSlicer(), 2)).resolves.toBe(5);
    await expect(countObjects(null, new TimeSlicer())).resolves.toBe(0);
  });
});
