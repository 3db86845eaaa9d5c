/** The sandbox cannot start processes: the runner refuses work rather than run it unconfined. */
export class SandboxUnavailableError extends Error {
  override readonly name = 'SandboxUnavailableError';
}

/** The program of a spec is not visible inside the sandbox; nothing was started. */
export class SandboxProgramError extends Error {
  override readonly name = 'SandboxProgramError';
  readonly code = 'ENOENT';
}
