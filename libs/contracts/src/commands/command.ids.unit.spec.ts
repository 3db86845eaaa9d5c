import fc from 'fast-check';
import { commandIds } from './command.ids';

const BEAD = '0b6f3c1e-2a4d-5e8f-9a0b-1c2d3e4f5a6b';
const CONVOY = '8c0f3b1e-5a6d-5e7f-8a9b-0c1d2e3f4a5b';
const RIG = '2f1e8a5c-7d3b-4c1a-9e2f-0a1b2c3d4e5f';
const COMMIT = '3f786850e387550fdab836ed7e6dc881de23001b';

type Template = keyof typeof commandIds;

/** Every template applied to its own kind of arguments. */
const build = (beadId: string, convoyId: string, rigId: string, attempt: number, commit: string): Record<Template, string> => ({
  dispatchBead: commandIds.dispatchBead(beadId, attempt),
  markBeadStarted: commandIds.markBeadStarted(beadId, attempt),
  submitBead: commandIds.submitBead(beadId, attempt),
  failBeadAttempt: commandIds.failBeadAttempt(beadId, attempt),
  reportAgentLost: commandIds.reportAgentLost(beadId, attempt),
  interruptBeadAttempt: commandIds.interruptBeadAttempt(beadId, attempt),
  claimMergePush: commandIds.claimMergePush(beadId, attempt, commit),
  recordBeadMerged: commandIds.recordBeadMerged(beadId, attempt),
  requestRework: commandIds.requestRework(beadId, attempt),
  startMergeBatch: commandIds.startMergeBatch(convoyId),
  recordMergeBatchCheck: commandIds.recordMergeBatchCheck(convoyId, attempt),
  endMergeBatch: commandIds.endMergeBatch(convoyId),
  claimBatchPush: commandIds.claimBatchPush(convoyId, attempt),
  startLanding: commandIds.startLanding(convoyId, attempt),
  recordRigLandingPrepared: commandIds.recordRigLandingPrepared(convoyId, attempt, rigId),
  claimLandingPush: commandIds.claimLandingPush(convoyId, attempt, rigId, commit),
  recordRigLanded: commandIds.recordRigLanded(convoyId, attempt, rigId),
  failLanding: commandIds.failLanding(convoyId, attempt),
});

describe('command ids', () => {
  it('given the ids a report is about, then each template gives the id already stored in the streams, byte for byte', () => {
    const pinned: Record<Template, string> = {
      dispatchBead: `dispatch:${BEAD}:2`,
      markBeadStarted: `started:${BEAD}:2`,
      submitBead: `submit:${BEAD}:2`,
      failBeadAttempt: `fail:${BEAD}:2`,
      reportAgentLost: `lost:${BEAD}:2`,
      interruptBeadAttempt: `interrupt:${BEAD}:2`,
      claimMergePush: `mergeclaim:${BEAD}:2:${COMMIT}`,
      recordBeadMerged: `merged:${BEAD}:2`,
      requestRework: `rework:${BEAD}:2`,
      startMergeBatch: `batch:${CONVOY}`,
      recordMergeBatchCheck: `batchcheck:${CONVOY}:2`,
      endMergeBatch: `batchend:${CONVOY}`,
      claimBatchPush: `batchclaim:${CONVOY}:2`,
      startLanding: `land:${CONVOY}:2`,
      recordRigLandingPrepared: `landprep:${CONVOY}:2:${RIG}`,
      claimLandingPush: `landclaim:${CONVOY}:2:${RIG}:${COMMIT}`,
      recordRigLanded: `landed:${CONVOY}:2:${RIG}`,
      failLanding: `landfail:${CONVOY}:2`,
    };
    expect(build(BEAD, CONVOY, RIG, 2, COMMIT)).toEqual(pinned);
    expect(Object.keys(pinned).sort()).toEqual(Object.keys(commandIds).sort());
  });

  it('given any ids, then no two templates give the same command id', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.uuid(), fc.uuid(), fc.nat(), fc.stringMatching(/^[0-9a-f]{40}$/), (bead, convoy, rig, attempt, commit) => {
        const ids = Object.values(build(bead, convoy, rig, attempt, commit));
        expect(new Set(ids).size).toBe(ids.length);
      }),
    );
  });

  it('given two templates, then their tags differ, so ids built from UUIDs never collide whatever the arguments', () => {
    const tags = Object.values(build(BEAD, CONVOY, RIG, 1, COMMIT)).map((id) => id.slice(0, id.indexOf(':')));
    expect(new Set(tags).size).toBe(tags.length);
  });
});
