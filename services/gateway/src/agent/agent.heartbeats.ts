import { Inject, Injectable } from '@nestjs/common';
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { Bus } from '@gastown/bus';
import { AttemptClaim, attemptClaimKey } from '@gastown/contracts';
import DataLoader from 'dataloader';
import { BUS } from '../bus/bus.module';
import type { GatewayContext } from '../graphql/graphql.context';
import { apiError } from '../graphql/graphql.errors';

const HEARTBEAT_BY_ATTEMPT = Symbol('heartbeatByAttempt');
const decoder = new TextDecoder();

/**
 * The git-runners' attempt claims, read for their heartbeats. The bucket is the runners': the
 * gateway only reads it, and one that no runner has created yet simply has no heartbeat to show.
 */
@Injectable()
export class AgentHeartbeats {
  private bucket: Promise<KV> | undefined;

  constructor(@Inject(BUS) private readonly bus: Bus) {}

  /** The holder's last heartbeat per attempt (`<beadId>:<attempt>`), null without a readable claim. */
  loader(ctx: GatewayContext): DataLoader<string, Date | null> {
    return ctx.loaders.get(
      HEARTBEAT_BY_ATTEMPT,
      () => new DataLoader<string, Date | null>((refs) => Promise.all(refs.map((ref) => this.read(ref)))),
    );
  }

  private async read(ref: string): Promise<Date | null> {
    const [beadId, attempt] = ref.split(':');
    const kv = await this.kv();
    let entry;
    try {
      entry = await kv.get(attemptClaimKey(beadId, Number(attempt)));
    } catch (error) {
      if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) return null;
      throw apiError('UNAVAILABLE', `the heartbeat of attempt ${attempt} of bead ${beadId} could not be read: ${(error as Error).message}`);
    }
    if (!entry || entry.operation !== 'PUT') return null;
    let claim;
    try {
      claim = AttemptClaim.safeParse(JSON.parse(decoder.decode(entry.value)));
    } catch {
      return null;
    }
    return claim.success ? new Date(claim.data.aliveAt) : null;
  }

  private kv(): Promise<KV> {
    // Bound, not created: the runners create the bucket with the settings their claims need.
    this.bucket ??= new Kvm(this.bus.js).open(this.bus.names.claimsBucket).catch((error: unknown) => {
      this.bucket = undefined;
      throw error;
    });
    return this.bucket;
  }
}
