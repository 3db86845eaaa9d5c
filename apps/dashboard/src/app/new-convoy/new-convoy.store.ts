import { Injectable, PendingTasks, inject, signal } from '@angular/core';
import { GatewayError, type GatewayErrorCode } from '@gastown/gateway-client/client';
import type { SlingBatchInput } from '@gastown/gateway-client/plan';
import { newCommandId } from '../gateway/command-id';
import { GatewayService } from '../gateway/gateway.service';

export interface RigOption {
  readonly id: string;
  readonly name: string;
  readonly defaultBranch: string;
}

/** What the gateway said when it refused: its message as it came, and the details it gave. */
export interface ServerRefusal {
  readonly code: GatewayErrorCode;
  readonly message: string;
  /** What it gave besides, as it gave it: `cycle` ({index, title} of each task of the loop) for a cycle. */
  readonly details: Readonly<Record<string, unknown>>;
}

export const RIGS_QUERY = /* GraphQL */ `
  query NewConvoyRigs {
    rigs { id name defaultBranch }
  }
`;

export const SLING_BATCH = /* GraphQL */ `
  mutation NewConvoy($input: SlingBatchInput!) {
    slingBatch(input: $input) { id }
  }
`;

function refusalOf(error: unknown): ServerRefusal {
  if (!(error instanceof GatewayError)) {
    return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error), details: {} };
  }
  return { code: error.code, message: error.message, details: error.details };
}

/** The town's rigs to choose from, and the one call that creates a convoy from a plan. */
@Injectable()
export class NewConvoyStore {
  private readonly gateway = inject(GatewayService);
  private readonly pendingTasks = inject(PendingTasks);

  private readonly _rigs = signal<readonly RigOption[] | null>(null);
  private readonly _loadError = signal<string | null>(null);
  private readonly _busy = signal(false);
  private readonly _serverError = signal<ServerRefusal | null>(null);

  /** null until the gateway has answered. */
  readonly rigs = this._rigs.asReadonly();
  readonly loadError = this._loadError.asReadonly();
  readonly busy = this._busy.asReadonly();
  readonly serverError = this._serverError.asReadonly();

  /** The draft last sent and its command id: sending the same draft again is a retry, not a second convoy. */
  private sent: { key: string; commandId: string } | null = null;
  private inFlight: Promise<string | null> | null = null;

  async load(): Promise<void> {
    this._loadError.set(null);
    const settled = this.pendingTasks.add();
    try {
      const data = await this.gateway.request<{ rigs: RigOption[] }>(RIGS_QUERY);
      this._rigs.set(data.rigs);
    } catch (error) {
      this._loadError.set(refusalOf(error).message);
    } finally {
      settled();
    }
  }

  /** The new convoy's id, or null when the gateway refused (then `serverError` says why). */
  create(input: SlingBatchInput): Promise<string | null> {
    this.inFlight ??= this.send(input).finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  private async send(input: SlingBatchInput): Promise<string | null> {
    const { commandId: _ignored, ...draft } = input;
    const key = JSON.stringify(draft);
    if (this.sent?.key !== key) this.sent = { key, commandId: newCommandId() };
    this._busy.set(true);
    this._serverError.set(null);
    try {
      const data = await this.gateway.request<{ slingBatch: { id: string } }>(SLING_BATCH, {
        input: { ...draft, commandId: this.sent.commandId },
      });
      return data.slingBatch.id;
    } catch (error) {
      this._serverError.set(refusalOf(error));
      return null;
    } finally {
      this._busy.set(false);
    }
  }
}
