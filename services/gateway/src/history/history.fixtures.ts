import { createHash } from 'node:crypto';
import type { GatewayHarness, TestTown } from '../gateway.fixtures';

const sha = (text: string) => createHash('sha1').update(text).digest('hex');

export interface SlungConvoy {
  readonly id: string;
  readonly beads: { id: string; title: string }[];
}

/**
 * Drives a convoy the way the dispatcher and the git-runner would, by sending their commands to
 * the convoy service; no git and no agent are involved. Each step returns once the read models
 * show it.
 */
export class ConvoyDriver {
  private readonly attempts = new Map<string, number>();

  constructor(
    private readonly h: GatewayHarness,
    private readonly town: TestTown,
    readonly convoy: SlungConvoy,
  ) {}

  /** A review-then-land convoy "Login page": Schema, then API after Schema. */
  static async sling(h: GatewayHarness, town: TestTown, rigId: string, title = 'Login page'): Promise<ConvoyDriver> {
    const { slingBatch } = await h.ok<{ slingBatch: SlungConvoy }>(
      town.token,
      `mutation ($input: SlingBatchInput!) { slingBatch(input: $input) { id beads { id title } } }`,
      { input: { title, defaultRigId: rigId, tasks: [{ title: 'Schema' }, { title: 'API', dependsOn: [0] }] } },
    );
    return new ConvoyDriver(h, town, slingBatch);
  }

  bead(title: string): string {
    const bead = this.convoy.beads.find((b) => b.title === title);
    if (!bead) throw new Error(`no bead "${title}" in convoy ${this.convoy.id}`);
    return bead.id;
  }

  private command(type: string, data: Record<string, unknown>): Promise<void> {
    return this.h.convoyCommand(this.town.id, this.convoy.id, { type, data });
  }

  private attemptOf(title: string): number {
    return this.attempts.get(title) ?? 0;
  }

  async dispatch(title: string, agentName: string): Promise<void> {
    await this.command('DispatchBead', { beadId: this.bead(title), agent: { id: `rig-${agentName.toLowerCase()}`, name: agentName } });
    this.attempts.set(title, this.attemptOf(title) + 1);
  }

  start(title: string): Promise<void> {
    return this.command('MarkBeadStarted', { beadId: this.bead(title), attempt: this.attemptOf(title) });
  }

  /** The branch is the one the dispatch recorded, as a runner would know it from its job. */
  async submit(title: string): Promise<void> {
    const { bead } = await this.h.ok<{ bead: { branch: string } }>(this.town.token, `query ($id: ID!) { bead(id: $id) { branch } }`, {
      id: this.bead(title),
    });
    const attempt = this.attemptOf(title);
    await this.command('SubmitBead', {
      beadId: this.bead(title),
      attempt,
      branch: bead.branch,
      headCommit: sha(`head ${title} ${attempt}`),
      agentResult: { exitCode: 0, signal: null, timedOut: false, durationMs: 1200, outputTail: 'done\n' },
    });
  }

  merge(title: string): Promise<void> {
    const attempt = this.attemptOf(title);
    return this.command('RecordBeadMerged', { beadId: this.bead(title), attempt, mergeCommit: sha(`merge ${title} ${attempt}`) });
  }

  rework(title: string, reason: string): Promise<void> {
    return this.command('RequestRework', { beadId: this.bead(title), attempt: this.attemptOf(title), reason });
  }

  fail(title: string, reason: string, unrecoverable = false): Promise<void> {
    return this.command('FailBeadAttempt', {
      beadId: this.bead(title),
      attempt: this.attemptOf(title),
      reason,
      unrecoverable,
      agentResult: { exitCode: 1, signal: null, timedOut: false, durationMs: 900, outputTail: `${reason}\n` },
    });
  }

  async retry(title: string): Promise<void> {
    await this.h.ok(this.town.token, `mutation ($id: ID!) { retryBead(id: $id) { id } }`, { id: this.bead(title) });
  }

  async land(rigId: string): Promise<void> {
    await this.command('StartLanding', {});
    await this.command('RecordRigLanded', { rigId, attempt: 1, commit: sha(`land ${this.convoy.id}`) });
  }

  /**
   * Schema is reworked, fails an attempt, fails for good (holding API), is retried (releasing
   * API) and merged; then API is merged and the convoy lands. One step per decision a service
   * would send, so a test can pause between any two.
   */
  lifeSteps(rigId: string): (() => Promise<void>)[] {
    return [
      () => this.dispatch('Schema', 'Nux'),
      () => this.start('Schema'),
      () => this.submit('Schema'),
      () => this.rework('Schema', 'tests fail'),
      () => this.dispatch('Schema', 'Nux'),
      () => this.fail('Schema', 'the build is red'),
      () => this.dispatch('Schema', 'Slit'),
      () => this.fail('Schema', 'cannot compile', true),
      () => this.retry('Schema'),
      () => this.dispatch('Schema', 'Slit'),
      () => this.submit('Schema'),
      () => this.merge('Schema'),
      () => this.dispatch('API', 'Toast'),
      () => this.submit('API'),
      () => this.merge('API'),
      () => this.land(rigId),
    ];
  }

  async fullLife(rigId: string): Promise<void> {
    for (const step of this.lifeSteps(rigId)) await step();
  }
}
