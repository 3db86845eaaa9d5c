import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { EVENT_TYPES, latestSchemaVersion, parseEvent, type EventType, type GastownEvent } from '@gastown/contracts';
import { beadIdsOf, publicData } from './history.event';
import { attemptKey, NO_NAMES, summarize, type HistoryNames } from './history.summary';

const FIXTURES = resolve(__dirname, '../../../../libs/contracts/src/events/fixtures');
/** The golden fixture of the type's latest version: a real, valid payload of every type. */
const latestFixture = (type: EventType): GastownEvent =>
  parseEvent(JSON.parse(readFileSync(join(FIXTURES, `${type}.v${latestSchemaVersion(type)}.json`), 'utf8')));

const BEAD = 'a1b2c3d4-e5f6-5a7b-8c9d-0e1f2a3b4c5d';
const UPSTREAM = 'b2c3d4e5-f6a7-5b8c-9d0e-1f2a3b4c5d6e';
const RIG = 'c3d4e5f6-a7b8-5c9d-8e0f-2a3b4c5d6e7f';

function event<K extends EventType>(type: K, data: Extract<GastownEvent, { type: K }>['data']): GastownEvent {
  return { ...latestFixture(type), data } as GastownEvent;
}

const names = (titles: Record<string, string>, agents: Record<string, string> = {}, rigs: Record<string, string> = {}): HistoryNames => ({
  beadTitles: new Map(Object.entries(titles)),
  attemptAgents: new Map(Object.entries(agents)),
  rigNames: new Map(Object.entries(rigs)),
});

describe('history summaries', () => {
  it('given a second dispatch after rework, when summarized, then it says who took which bead and why it came back', () => {
    const dispatched = event('BeadDispatched', {
      beadId: BEAD,
      attempt: 2,
      agent: { id: 'a1b2c3d4-nux', name: 'Nux' },
      branch: 'gt/nux/a1b2c3d4',
      baseBranch: 'convoy/login',
      previousReason: 'tests fail',
    });

    expect(summarize(dispatched, names({ [BEAD]: 'Add login' }))).toBe(
      'Nux took bead "Add login" (attempt 2) after the previous attempt ended with: tests fail.',
    );
  });

  it('given a held bead, when summarized, then it names the upstream bead that holds it', () => {
    const held = event('BeadsHeld', { beads: [{ beadId: BEAD, reason: 'held by failed bead "Schema"', heldBy: [UPSTREAM] }] });

    expect(summarize(held, names({ [BEAD]: 'API', [UPSTREAM]: 'Schema' }))).toBe(
      'Bead "API" is on hold because of upstream bead "Schema" (held by failed bead "Schema").',
    );
  });

  it('given an interrupted attempt, when summarized, then it says the attempt is not counted and why', () => {
    const interrupted = event('BeadAttemptInterrupted', { beadId: BEAD, attempt: 2, agentId: 'a1b2c3d4-nux', reason: 'runner gr-1 shut down' });

    expect(summarize(interrupted, names({ [BEAD]: 'Add login' }, { [attemptKey(BEAD, 2)]: 'Nux' }))).toBe(
      'Attempt 2 of bead "Add login" by Nux was interrupted and is not counted: runner gr-1 shut down.',
    );
  });

  it('given a failed attempt with the agent result, when summarized, then it names the agent, the exit code and the reason', () => {
    const failed = event('BeadAttemptFailed', {
      beadId: BEAD,
      attempt: 1,
      reason: 'agent exited with code 2',
      agentResult: { exitCode: 2, signal: null, timedOut: false, durationMs: 1500, outputTail: 'boom' },
    });

    expect(summarize(failed, names({ [BEAD]: 'Add login' }, { [attemptKey(BEAD, 1)]: 'Slit' }))).toBe(
      'Attempt 1 of bead "Add login" by Slit failed (exit code 2): agent exited with code 2.',
    );
  });

  it('given a landing, when summarized, then it names each rig and its landing commit', () => {
    const landed = event('ConvoyLanded', { landings: [{ rigId: RIG, commit: 'f'.repeat(40) }] });

    expect(summarize(landed, names({}, {}, { [RIG]: 'web' }))).toBe('The convoy landed: rig "web" at ffffffffffff.');
  });

  it('given a merge batch built on another, checked red and split, when summarized, then each sentence names the batch, its beads, the run and the culprit sent back', () => {
    const batch = '3d9a4c2e-6b1f-4e8a-9c7d-5f2e1a0b3c4d';
    const ahead = '7e8f9a0b-1c2d-4e3f-8a5b-6c7d8e9f0a1b';
    const titles = names({ [BEAD]: 'Add login', [UPSTREAM]: 'Schema' }, {}, { [RIG]: 'web' });
    const started = event('MergeBatchStarted', {
      batchId: batch,
      rigId: RIG,
      targetBranch: 'main',
      baseCommit: 'a'.repeat(40),
      speculativeOn: ahead,
      beads: [
        { beadId: UPSTREAM, attempt: 1, mergeCommit: 'b'.repeat(40) },
        { beadId: BEAD, attempt: 2, mergeCommit: 'c'.repeat(40) },
      ],
    });
    const checked = event('MergeBatchChecked', {
      batchId: batch,
      run: 1,
      beadIds: [UPSTREAM, BEAD],
      commit: 'c'.repeat(40),
      outcome: 'FAILED',
      durationMs: 2_400,
      reason: 'check "test" failed (exit 1)',
    });
    const split = event('MergeBatchEnded', { batchId: batch, outcome: 'SPLIT', mergedBeadIds: [UPSTREAM], culpritBeadId: BEAD, checkRuns: 2, reason: null });
    const merged = event('BeadMerged', { beadId: UPSTREAM, attempt: 1, mergeCommit: 'b'.repeat(40), targetBranch: 'main', batchId: batch });

    expect(summarize(started, titles)).toBe(
      'The refinery started merge batch 3d9a4c2e on rig "web" with 2 beads (beads "Schema" and "Add login") merged onto aaaaaaaaaaaa of main, ' +
        'speculatively on top of merge batch 7e8f9a0b whose checks still run.',
    );
    expect(summarize(checked, titles)).toBe(
      'Check run 1 of merge batch 3d9a4c2e on its first 2 beads (beads "Schema" and "Add login") failed in 2 s: check "test" failed (exit 1).',
    );
    expect(summarize(split, titles)).toBe(
      'Merge batch 3d9a4c2e was split after 2 check runs: bead "Add login" was found to break the checks and sent back; bead "Schema" merged; ' +
        'the beads after it wait for the next batch.',
    );
    expect(summarize(merged, titles)).toBe('Bead "Schema" was merged into main as bbbbbbbbbbbb (attempt 1, in merge batch 3d9a4c2e).');
    expect(beadIdsOf(split)).toEqual([UPSTREAM, BEAD]);
  });

  it('given a bead whose title is unknown, when summarized, then it is named by the start of its id', () => {
    expect(summarize(event('BeadRetried', { beadId: BEAD }), NO_NAMES)).toBe('Bead a1b2c3d4 was reopened for another attempt.');
  });

  it('given a reason of many lines, when summarized, then the summary is one line and clipped', () => {
    const reason = `line one\n\n${'x'.repeat(2000)}`;
    const summary = summarize(event('BeadReworkRequested', { beadId: BEAD, attempt: 1, reason }), NO_NAMES);

    expect(summary).not.toContain('\n');
    expect(summary).toContain('line one x');
    expect(summary.length).toBeLessThan(400);
  });

  it('given any event type of the catalogue with any texts and any known names, when summarized, then it is one non-empty sentence', () => {
    const text = fc.string({ minLength: 1, maxLength: 300, unit: 'grapheme' });
    const TEXT_FIELDS = new Set(['reason', 'previousReason', 'title', 'name', 'outputTail']);
    const vary = (value: unknown, replacement: string): unknown => {
      if (Array.isArray(value)) return value.map((v) => vary(v, replacement));
      if (value === null || typeof value !== 'object') return value;
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, TEXT_FIELDS.has(k) && typeof v === 'string' ? replacement : vary(v, replacement)]),
      );
    };
    fc.assert(
      fc.property(fc.constantFrom(...EVENT_TYPES), text, fc.dictionary(fc.constant(BEAD), text), (type, replacement, titles) => {
        const base = latestFixture(type);
        const varied = parseEventOrNull({ ...base, data: vary(base.data, replacement) });
        fc.pre(varied !== null);

        const summary = summarize(varied, names({ ...titles, [UPSTREAM]: replacement }));

        expect(summary.trim().length).toBeGreaterThan(1);
        expect(summary).not.toMatch(/[\r\n]/);
        expect(summary.endsWith('.')).toBe(true);
        expect(summary.length).toBeLessThan(1500);
      }),
      { numRuns: 500 },
    );
  });
});

function parseEventOrNull(input: unknown): GastownEvent | null {
  try {
    return parseEvent(input);
  } catch {
    return null;
  }
}

describe('history event data', () => {
  it('given a webhook event, when made public, then its signing secret is gone', () => {
    const added = latestFixture('WebhookAdded');

    expect(publicData(added.data)).not.toHaveProperty('secret');
    expect(JSON.stringify(publicData(added.data))).not.toContain((added.data as { secret: { sealed: string } }).secret.sealed);
  });

  it('given a town event, when made public, then the token hash is gone', () => {
    expect(publicData(latestFixture('TownCreated').data)).toEqual({ name: (latestFixture('TownCreated').data as { name: string }).name });
  });

  it('given text with URL credentials or a town token, when made public, then both are masked', () => {
    const data = { reason: 'push to https://bot:hunter2@git.example/web.git failed; token gt_abcdefghijklmnopqrstuvwxyz' };

    expect(publicData(data)).toEqual({ reason: 'push to https://***@git.example/web.git failed; token gt_***' });
  });

  it('given a hold, then it is about the held bead and not the upstream bead', () => {
    expect(beadIdsOf(event('BeadsHeld', { beads: [{ beadId: BEAD, reason: 'held', heldBy: [UPSTREAM] }] }))).toEqual([BEAD]);
  });

  it('given a dependency edit, then it is about both beads', () => {
    expect(beadIdsOf(event('DependencyAdded', { beadId: BEAD, dependsOnBeadId: UPSTREAM }))).toEqual([BEAD, UPSTREAM]);
  });
});
