import { Logger } from '@nestjs/common';
import type { Subscription } from '@nats-io/transport-node';
import type { Bus } from '@gastown/bus';
import { CancelConvoy } from '@gastown/contracts';
import type { RunningAttempts } from './polecat.attempts';

const decoder = new TextDecoder();

/**
 * Listens for the cancel broadcast (every replica hears it, no queue group) and stops this
 * replica's agents of the closed convoy. Their handlers remove the worktrees and report nothing;
 * queued jobs of the convoy are dropped by their own validity check.
 */
export function listenForCancels(bus: Bus, attempts: RunningAttempts): Subscription {
  const logger = new Logger('polecat');
  return bus.nc.subscribe(bus.names.cancelBroadcast, {
    callback: (error, msg) => {
      if (error) {
        logger.error(`cancel broadcast subscription failed: ${error.message}`);
        return;
      }
      let cancel: CancelConvoy;
      try {
        cancel = CancelConvoy.parse(JSON.parse(decoder.decode(msg.data)));
      } catch {
        logger.warn(`ignored a cancel broadcast that is not a CancelConvoy`);
        return;
      }
      const stopped = attempts.cancelConvoy(cancel.convoyId, `convoy cancelled: ${cancel.reason}`);
      logger.log(`convoy ${cancel.convoyId} cancelled: stopping ${stopped} agent${stopped === 1 ? '' : 's'} here`);
    },
  });
}
