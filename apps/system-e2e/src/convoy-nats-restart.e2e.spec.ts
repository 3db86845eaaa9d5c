import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SystemHarness } from '@gastown/system-testing';
import { eventually, freePort, startNatsServer, type NatsServerProcess } from '@gastown/testing';

/** `width` independent beads, then `width` more each depending on one of the first. */
function layered(width: number) {
  return [
    ...Array.from({ length: width }, (_, i) => ({ title: `root ${i}` })),
    ...Array.from({ length: width }, (_, i) => ({ title: `leaf ${i}`, dependsOn: [i] })),
  ];
}

const key = (data: unknown) => `${(data as { beadId: string }).beadId}:${(data as { attempt: number }).attempt}`;

/**
 * Issue 11, case 1: nats-server SIGKILLed while beads are being dispatched and started again on
 * the same store. Jobs published around the kill can be lost (a publish that failed, a tail the
 * server had not kept); the dispatcher's reconciliation must notice from the stream alone.
 */
describe('a convoy survives its NATS server', () => {
  let storeDir: string;
  let server: NatsServerProcess;

  afterEach(async () => {
    await server?.kill();
    if (storeDir) await rm(storeDir, { recursive: true, force: true });
  });

  it('given nats-server SIGKILLed as beads are dispatched and restarted on its store, when the system carries on, then the convoy lands on its own with one merge per bead and no attempt started twice', async () => {
    storeDir = await mkdtemp(join(tmpdir(), 'gt-nats-restart-'));
    const port = await freePort();
    server = await startNatsServer({ port, storeDir });
    const deadlineMs = 2_000;
    const system = await SystemHarness.start({ nats: { url: server.url }, env: { DISPATCHER_START_DEADLINE_MS: String(deadlineMs) } });
    try {
      const repo = system.origin();
      const rigId = await system.registerRig('weathered', repo.bare, { maxPolecats: 2 });
      const created = await system.slingBatch({ title: 'Survives its bus', defaultRigId: rigId, tasks: layered(3) });

      await eventually('the first beads dispatched', async () => (await system.events(created.id)).some((e) => e.type === 'BeadDispatched'));
      await server.kill();
      server = await startNatsServer({ port, storeDir });
      const restartedAt = Date.now();

      const landed = await system.until(created.id, ['LANDED', 'FAILED', 'CANCELLED'], 180_000);
      expect(landed.status).toBe('LANDED');
      const events = await system.events(created.id);
      const merged = events.filter((e) => e.type === 'BeadMerged').map((e) => (e.data as { beadId: string }).beadId);
      expect(merged.sort()).toEqual(landed.beads.map((b) => b.id).sort());
      const started = events.filter((e) => e.type === 'BeadStarted').map((e) => key(e.data));
      expect(new Set(started).size).toBe(started.length);
      const dispatched = events.filter((e) => e.type === 'BeadDispatched').map((e) => key(e.data));
      expect(new Set(dispatched).size).toBe(dispatched.length);
      for (const bead of landed.beads) expect(repo.commitsAdding('main', `beads/${bead.id.slice(0, 8)}.md`)).toHaveLength(1);

      const reconciled = system.process('dispatcher-1').output().split('\n').filter((l) => /published again|reported LOST|not stored again/.test(l));
      process.stdout.write(`NATS restart → convoy landed in ${Date.now() - restartedAt} ms; reconciliation:\n${reconciled.join('\n') || '(nothing to reconcile)'}\n`);
    } finally {
      await system.close();
    }
  });
});
