/**
 * Someone moved the target branch after the refinery read it: the push was refused and origin
 * is unchanged. Fetch, merge again onto the new tip, run the checks again.
 */
export class TargetMovedError extends Error {
  constructor(
    readonly target: string,
    readonly expectedTip: string,
  ) {
    super(`${target} is no longer at ${expectedTip}: someone else pushed to it`);
    this.name = 'TargetMovedError';
  }
}

/** A branch the operation needs does not exist on origin. */
export class BranchNotFoundError extends Error {
  constructor(
    readonly rigId: string,
    readonly branch: string,
  ) {
    super(`rig ${rigId} has no branch ${branch} on origin`);
    this.name = 'BranchNotFoundError';
  }
}
