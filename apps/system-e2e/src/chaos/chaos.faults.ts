import type { SystemHarness } from '@gastown/system-testing';
import { startNatsServer, type NatsServerProcess } from '@gastown/testing';
import type { ChaosPostgres } from './chaos.postgres';
import type { ChaosFault } from './chaos.schedule';

/**
 * The infrastructure a chaos run owns, and the faults it can suffer. Every fault is a crash and a
 * recovery: the process dies without warning and comes back on the same state (port, store,
 * data directory) after the fault's down time.
 */
export class ChaosFaults {
  constructor(
    private readonly system: SystemHarness,
    private nats: NatsServerProcess,
    private readonly postgres: ChaosPostgres,
  ) {}

  async inject(fault: ChaosFault): Promise<void> {
    switch (fault.kind) {
      case 'kill-service':
        await this.system.kill(`${fault.service}-1`);
        await down(fault.downMs);
        await this.system.startProcess(fault.service, 1);
        return;
      case 'kill-nats':
        await this.nats.kill();
        await down(fault.downMs);
        this.nats = await startNatsServer({ port: this.nats.port, storeDir: this.nats.storeDir });
        return;
      case 'stop-postgres':
        await this.postgres.stopImmediate();
        await down(fault.downMs);
        await this.postgres.startServer();
        return;
    }
  }

  /** The nats-server running now (a kill-nats fault replaces the process). */
  natsServer(): NatsServerProcess {
    return this.nats;
  }
}

/** The outage itself: how long the victim stays dead is part of the seeded plan, not a wait for a condition. */
function down(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
