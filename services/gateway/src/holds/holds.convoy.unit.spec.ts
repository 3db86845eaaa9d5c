import { heldConvoyRow } from './holds.convoy';

const town = '2f1e8a5c-7d3b-4c1a-9e2f-0a1b2c3d4e5f';
const convoy = '8c0f3b1e-5a6d-5e7f-8a9b-0c1d2e3f4a5b';
const rig = '0a1b2c3d-4e5f-4a1b-8c2d-3e4f5a6b7c8d';
const otherRig = '1b2c3d4e-5f6a-4b2c-9d3e-4f5a6b7c8d9e';
const storedAt = new Date('2026-12-01T10:00:00.000Z');

describe('a convoy held on its first commit', () => {
  it('given the commit as stored, then the row says what its ConvoyCreated said, and the rigs of its beads', () => {
    const row = heldConvoyRow(town, convoy, storedAt, [
      {
        type: 'ConvoyCreated',
        occurredAt: '2026-12-01T09:59:59.000Z',
        data: { title: 'Login', slug: 'login', mergeMode: 'REVIEW_AND_MERGE', staged: true, parallel: true, defaultRigId: rig, featureBranches: [] },
      },
      { type: 'BeadCreated', data: { rigId: otherRig } },
    ]);

    expect(row).toMatchObject({
      id: convoy,
      townId: town,
      title: 'Login',
      slug: 'login',
      status: 'STAGED',
      mergeMode: 'REVIEW_AND_MERGE',
      staged: true,
      parallel: true,
      defaultRigId: rig,
      rigIds: [rig, otherRig],
      createdAt: new Date('2026-12-01T09:59:59.000Z'),
      landings: [],
      beadCount: 0,
    });
  });

  it('given a commit that could not even be decoded, then the row knows only its id, town and when it was stored', () => {
    const row = heldConvoyRow(town, convoy, storedAt, []);

    expect(row).toMatchObject({ id: convoy, townId: town, title: '', slug: '', status: 'ACTIVE', staged: false, rigIds: [], createdAt: storedAt });
  });

  it('given malformed fields, then they read as unknown rather than as what the convoy did not say', () => {
    const row = heldConvoyRow(town, convoy, storedAt, [
      { type: 'ConvoyCreated', occurredAt: 'yesterday', data: { title: 42, mergeMode: 'SOMETIMES', featureBranches: [{ rigId: rig }, { rigId: rig, branch: 'convoy/x' }] } },
    ]);

    expect(row).toMatchObject({ title: '', mergeMode: 'REVIEW_THEN_LAND', featureBranches: [{ rigId: rig, branch: 'convoy/x' }], createdAt: storedAt });
  });
});
