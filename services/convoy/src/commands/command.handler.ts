import { CommandError, CommandMeta, CommandReply, storedEnvelopes } from '@gastown/contracts';
import { AppendRefusedError, EventStore, WrongExpectedSequenceError } from '@gastown/bus';
import type { Decision } from '../decider/decider.decision';
import { DomainError } from '../decider/decider.error';
import { Aggregate, AggregateStore } from '../aggregate/aggregate.store';

export interface CommandTarget<S> {
  subject: string;
  townId: string;
  convoyId: string | null;
  meta: CommandMeta;
  /** The command creates its aggregate: skip reading a subject that is almost always empty. */
  creates?: boolean;
  /** Pure: the same state and command always give the same decision. */
  decide(state: S, now: string): Decision;
}

/** Bounded: a convoy that changes this often under one command is reported, not retried forever. */
const MAX_ATTEMPTS = 8;

/**
 * Load → decide → append with the expected subject sequence → on conflict refresh and decide
 * again. A command id seen before returns the first outcome and appends nothing: the server's
 * message-id window catches quick retries, the folded commit ids catch every later one.
 */
export class CommandHandler {
  constructor(private readonly store: EventStore) {}

  async execute<S>(aggregates: AggregateStore<S>, target: CommandTarget<S>): Promise<CommandReply> {
    const { commandId } = target.meta;
    let { aggregate, fresh } = await aggregates.get(target.subject, { assumeNew: target.creates });
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const now = new Date().toISOString();
      let decision: Decision;
      try {
        decision = target.decide(aggregate.state, now);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        // A refusal must never come from a stale cache: confirm against the stream first.
        if (!fresh) {
          aggregate = await aggregates.refresh(target.subject);
          fresh = true;
          continue;
        }
        return failure({ code: error.code, message: error.message, details: error.details });
      }
      if (decision.events.length === 0) {
        if (!fresh) {
          aggregate = await aggregates.refresh(target.subject);
          fresh = true;
          continue;
        }
        const seq = aggregate.commits.get(commandId) ?? aggregate.seq;
        return success(target, seq, decision.duplicate, decision.result);
      }
      const source = { ...target.meta, townId: target.townId, convoyId: target.convoyId };
      const events = storedEnvelopes(decision.events, source, { subject: target.subject, occurredAt: now });
      try {
        const appended = await this.store.append(target.subject, {
          commitId: commandId,
          expectedSeq: aggregate.seq,
          events,
        });
        if (appended.duplicate) {
          // The same command was stored moments ago (a retry raced us): fold it and answer as a repeat.
          aggregate = await aggregates.refresh(target.subject);
          fresh = true;
          continue;
        }
        aggregates.applyAppended(aggregate, {
          subject: target.subject,
          seq: appended.seq,
          prevSeq: aggregate.seq,
          commitId: commandId,
          events,
        });
        return success(target, appended.seq, false, decision.result);
      } catch (error) {
        // A full or failing store is the operator's problem, not a bug: the client hears that
        // nothing was stored and that the same command id is safe to send again.
        if (error instanceof AppendRefusedError) {
          return failure({
            code: 'UNAVAILABLE',
            message: `the event store refused the write: ${error.reason}; nothing was stored, retry later with the same commandId`,
            details: { commandId },
          });
        }
        if (!(error instanceof WrongExpectedSequenceError)) {
          // A timeout or a dropped connection: the commit may or may not be stored. Only a retry
          // with the same command id can tell, and the next one will read the subject afresh.
          aggregates.forget(target.subject);
          return failure({
            code: 'UNAVAILABLE',
            message: `the event store did not confirm the write (${error instanceof Error ? error.message : String(error)}); its outcome is unknown: retry with the same commandId, a repeat is safe`,
            details: { commandId },
          });
        }
        aggregate = await this.afterConflict(aggregates, target.subject, attempt);
        fresh = true;
      }
    }
    return failure({
      code: 'CONFLICT',
      message: `${target.subject} kept changing while command ${commandId} was decided (${MAX_ATTEMPTS} attempts); retry it with the same command id`,
    });
  }

  private async afterConflict<S>(aggregates: AggregateStore<S>, subject: string, attempt: number): Promise<Aggregate<S>> {
    // Jittered, growing pause so that writers racing on one convoy stop colliding in lock-step.
    const pause = Math.random() * Math.min(50, 2 ** attempt);
    await new Promise((resolve) => setTimeout(resolve, pause));
    return aggregates.refresh(subject);
  }
}

function success<S>(target: CommandTarget<S>, seq: number, duplicate: boolean, result: Record<string, unknown>): CommandReply {
  return {
    ok: true,
    townId: target.townId,
    convoyId: target.convoyId,
    subject: target.subject,
    seq,
    duplicate,
    result,
  };
}

function failure(error: CommandError): CommandReply {
  return { ok: false, error };
}
