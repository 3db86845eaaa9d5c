/**
 * The ids of the commands services send on their own, derived from what the command is about:
 * a report sent again after a crash or a redelivery carries the same id, so the convoy service
 * recognises it and changes nothing. These ids are idempotency keys already stored in the event
 * streams: a template must never change, or a repeat would be decided a second time. Each one
 * starts with a tag of its own, and every id it is built from is a UUID (no `:`), so two
 * templates can never produce the same id.
 *
 * Two services may send one report (a lost agent is reported by its runner and by the
 * dispatcher's reconciliation; a job given up reports what its handler would have): they use the
 * same template, so the convoy decides it once.
 */
export const commandIds = {
  /** DispatchBead from the dispatcher: one dispatch per bead and attempt. */
  dispatchBead: (beadId: string, attempt: number) => `dispatch:${beadId}:${attempt}`,
  /** MarkBeadStarted from the git-runner once the attempt's worktree exists. */
  markBeadStarted: (beadId: string, attempt: number) => `started:${beadId}:${attempt}`,
  /** SubmitBead from the git-runner once the agent's work is pushed. */
  submitBead: (beadId: string, attempt: number) => `submit:${beadId}:${attempt}`,
  /** FailBeadAttempt from the git-runner, whether the agent failed or the runner gave up on the job. */
  failBeadAttempt: (beadId: string, attempt: number) => `fail:${beadId}:${attempt}`,
  /** ReportAgentLost from the git-runner or the dispatcher's reconciliation. */
  reportAgentLost: (beadId: string, attempt: number) => `lost:${beadId}:${attempt}`,
  /** InterruptBeadAttempt from a draining git-runner. */
  interruptBeadAttempt: (beadId: string, attempt: number) => `interrupt:${beadId}:${attempt}`,
  /** ClaimMergePush: one claim per merge commit, so a new merge after the target moved asks again. */
  claimMergePush: (beadId: string, attempt: number, mergeCommit: string) => `mergeclaim:${beadId}:${attempt}:${mergeCommit}`,
  /** RecordBeadMerged from the refinery. */
  recordBeadMerged: (beadId: string, attempt: number) => `merged:${beadId}:${attempt}`,
  /** RequestRework from the refinery, or from the runner that gave up on the merge job. */
  requestRework: (beadId: string, attempt: number) => `rework:${beadId}:${attempt}`,
  /** StartMergeBatch, RecordMergeBatchCheck, EndMergeBatch and ClaimBatchPush: one batch, each run, one end, one claim per pushed prefix. */
  startMergeBatch: (batchId: string) => `batch:${batchId}`,
  recordMergeBatchCheck: (batchId: string, run: number) => `batchcheck:${batchId}:${run}`,
  endMergeBatch: (batchId: string) => `batchend:${batchId}`,
  claimBatchPush: (batchId: string, beadCount: number) => `batchclaim:${batchId}:${beadCount}`,
  /** StartLanding from the dispatcher: one per landing attempt of the convoy. */
  startLanding: (convoyId: string, attempt: number) => `land:${convoyId}:${attempt}`,
  /** RecordRigLandingPrepared: one rig's preparation for a landing attempt. */
  recordRigLandingPrepared: (convoyId: string, attempt: number, rigId: string) => `landprep:${convoyId}:${attempt}:${rigId}`,
  /** ClaimLandingPush: one claim per rig and landing commit. */
  claimLandingPush: (convoyId: string, attempt: number, rigId: string, commit: string) =>
    `landclaim:${convoyId}:${attempt}:${rigId}:${commit}`,
  /** RecordRigLanded: one rig's landing on an attempt. */
  recordRigLanded: (convoyId: string, attempt: number, rigId: string) => `landed:${convoyId}:${attempt}:${rigId}`,
  /** FailLanding: one per landing attempt, whichever rig failed it first. */
  failLanding: (convoyId: string, attempt: number) => `landfail:${convoyId}:${attempt}`,
} as const;
