import { convoySequence, convoyStatus, watchConvoy, type ConvoyChange } from '@gastown/gateway-client';
import type { CliContext } from '../cli.context';
import { EXIT } from '../cli.errors';
import { isFinished, redraw, watchFrame, watchLine, type WatchState } from './progress.format';
import { formatConvoyStatus } from './convoy.format';

export type WatchOutput = 'tty' | 'lines' | 'json-lines' | 'json';

/**
 * `gt convoy status <id> --watch`: follows convoyChanged until the convoy lands (exit 0), fails
 * or is cancelled (exit 1). A lost connection resumes after the last change seen, so a gateway
 * restart costs a "reconnecting…" and nothing else.
 */
export async function watchConvoyStatus(ctx: CliContext, convoyId: string, output: WatchOutput): Promise<number> {
  const client = ctx.client();
  // The sequence first, the state second: a decision in between is shown twice, never missed.
  const after = await convoySequence(client, convoyId);
  const initial = await convoyStatus(client, convoyId);
  const state: WatchState = { convoy: initial, reconnecting: false };
  let drawn = 0;

  const show = (change: ConvoyChange | null) => {
    if (output === 'tty') {
      const lines = watchFrame(state, { columns: ctx.columns, color: ctx.color });
      ctx.write(redraw(drawn, lines));
      drawn = lines.length;
    } else if (change && output === 'json-lines') {
      ctx.out(JSON.stringify(change));
    } else if (change && output === 'lines') {
      ctx.out(watchLine(change));
    }
  };
  const finish = async (): Promise<number> => {
    const { convoy } = state;
    if (output === 'json') ctx.out(JSON.stringify(await convoyStatus(client, convoyId)));
    else if (output === 'tty' || output === 'lines') {
      const reason = convoy.status === 'FAILED' ? `: ${convoy.failureReason ?? 'no reason recorded'}` : convoy.status === 'CANCELLED' ? `: ${convoy.cancelReason ?? 'no reason recorded'}` : convoy.landedCommit ? ` at ${convoy.landedCommit}` : '';
      ctx.out(`convoy ${convoy.status.toLowerCase()}${reason}`);
    }
    return convoy.status === 'LANDED' ? EXIT.ok : EXIT.failed;
  };

  if (output === 'tty') ctx.out(`convoy "${initial.title}" ${initial.id}`);
  show({ sequence: after, convoyId, events: [], convoy: initial });
  if (isFinished(initial.status)) return finish();

  return new Promise<number>((resolve, reject) => {
    const subscription = watchConvoy(
      client,
      convoyId,
      {
        next: (change) => {
          state.convoy = change.convoy;
          state.reconnecting = false;
          if (change.events.length > 0) state.lastEvent = change.events[change.events.length - 1].summary;
          show(change);
          if (isFinished(change.convoy.status)) {
            void subscription.close();
            process.off('SIGINT', interrupt);
            finish().then(resolve, reject);
          }
        },
        error: (error) => {
          process.off('SIGINT', interrupt);
          if (output === 'tty' && drawn > 0) ctx.write('\n');
          reject(error);
        },
        reconnecting: () => {
          state.reconnecting = true;
          if (output === 'tty') show(null);
          else ctx.err('gt: reconnecting… (the gateway went away; resuming from the last change seen)');
        },
        connected: () => {
          if (!state.reconnecting) return;
          state.reconnecting = false;
          if (output === 'tty') show(null);
          else ctx.err('gt: reconnected');
        },
      },
      after,
    );
    // Ctrl-C only stops watching; the convoy goes on, so it is not a failure of the convoy.
    const interrupt = () => {
      void subscription.close();
      resolve(130);
    };
    process.once('SIGINT', interrupt);
  });
}

/** `gt convoy status <id>` without --watch: one snapshot. */
export async function showConvoyStatus(ctx: CliContext, convoyId: string): Promise<void> {
  const convoy = await convoyStatus(ctx.client(), convoyId);
  if (ctx.json) ctx.out(JSON.stringify(convoy));
  else formatConvoyStatus(convoy, { color: ctx.color }).forEach(ctx.out);
}
