/** Try the job again soon (the target moved under a merge): not a failure, so no back-off. */
export class RetryJobSoon extends Error {
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
    this.name = 'RetryJobSoon';
  }
}

/** The job can never succeed as it is: it goes to the dead-letter stream with this reason and is terminated. */
export class PoisonJobError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'PoisonJobError';
  }
}
