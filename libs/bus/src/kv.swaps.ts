import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { KV, KvDeleteOptions } from '@nats-io/kv';
import { headers, type MsgHdrs } from '@nats-io/transport-node';
import type { Bus } from './bus.connection';

const encoder = new TextEncoder();

/** What the client's own create and update throw when another write came first. */
function wrongRevision(key: string, revision: number): JetStreamApiError {
  return new JetStreamApiError({ code: 400, err_code: JetStreamApiCodes.StreamWrongLastSequence, description: `wrong last sequence: ${key} moved on from revision ${revision}` });
}

/**
 * The bucket with create and update that stay compare-and-set on a replicated bucket. The
 * client's own check (expected last subject sequence) is made before the write is agreed on
 * nats-server before 2.9.21, so two writers racing for one revision could both succeed
 * (nats-server#4320): two runners would hold one rig's lease. Each write here also carries its
 * place (key and revision) as message id, and the server, which does count writes in flight
 * against duplicates, stores only the first; the second hears that it lost. A delete of a given
 * revision (a lease's release) is such a write too: unchecked, an old holder's release could land
 * after a takeover of that very revision and delete the new holder's lease.
 * Keys are used as they are (the buckets here use the identity key codec).
 */
export function withAtomicSwaps(bus: Bus, bucket: string, kv: KV): KV {
  const swap = async (key: string, data: Uint8Array | string, revision: number, marker?: MsgHdrs): Promise<number> => {
    const value = typeof data === 'string' ? encoder.encode(data) : data;
    const ack = await bus.js.publish(`$KV.${bucket}.${key}`, value, {
      msgID: `${bucket}.${key}@${revision}`,
      expect: { lastSubjectSequence: revision },
      ...(marker ? { headers: marker } : {}),
    });
    // Someone took this place first. Even a write with the same bytes may be another caller's (one
    // holder's two contenders in the same millisecond), so it is never taken for ours: at worst a
    // retried write of our own reads as lost, which every caller handles.
    if (ack.duplicate) throw wrongRevision(key, revision);
    return ack.seq;
  };
  const atomic = Object.create(kv) as KV;
  atomic.update = (key: string, data: Uint8Array | string, revision: number) => swap(key, data, revision);
  atomic.create = async (key: string, data: Uint8Array | string) => {
    try {
      return await swap(key, data, 0);
    } catch (error) {
      // As the client's create: a deleted or purged key may be created again, on top of its marker.
      if (!(error instanceof JetStreamApiError) || error.code !== JetStreamApiCodes.StreamWrongLastSequence) throw error;
      const entry = await kv.get(key);
      if (!entry || entry.operation === 'PUT') throw error;
      return swap(key, data, entry.revision);
    }
  };
  atomic.delete = async (key: string, options?: Partial<KvDeleteOptions>) => {
    if (!options?.previousSeq) return kv.delete(key, options);
    const marker = headers();
    marker.set('KV-Operation', 'DEL');
    await swap(key, new Uint8Array(0), options.previousSeq, marker);
  };
  return atomic;
}
