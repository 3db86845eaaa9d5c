import { eventually, startService, type ServiceProcess } from '@gastown/testing';
import { dispatchKeys, Harness, mostAtWork } from './dispatch/dispatch.harness';

describe('dispatcher process', () => {
  let world: Harness;
  const processes: ServiceProcess[] = [];
  const start = async () => {
    const service = await startService('dispatcher', { env: world.env, readyText: 'dispatcher ready' });
    processes.push(service);
    return service;
  };

  beforeAll(async () => {
    world = await Harness.start();
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await world?.stop();
  });

  it('given a bad environment, when started, then it names each bad value and exits with 2', async () => {
    const service = await startService('dispatcher', {
      env: { NATS_URL: 'localhost:4222', DISPATCHER_MAX_AGENTS_PER_TOWN: 'many', DISPATCHER_RETRY_BASE_MS: '-1' },
    });
    expect(await service.exited()).toBe(2);
    expect(service.output()).toMatch(/NATS_URL must be a nats:\/\/ or tls:\/\/ URL with a host/);
    expect(service.output()).toMatch(/DISPATCHER_MAX_AGENTS_PER_TOWN must be a positive whole number, got "many"/);
    expect(service.output()).toMatch(/DISPATCHER_RETRY_BASE_MS must be a whole number from 1 to 86400000 ms, got "-1"/);
  });

  it('given the dispatcher is SIGKILLed right after an assignment, when a new one starts, then no bead is assigned twice and none is lost', async () => {
    const rigId = await world.rig(1);
    const convoy = await world.sling([rigId, rigId, rigId]);
    const first = await start();
    await eventually('the first assignment', async () => dispatchKeys(await world.events(convoy.convoyId)).length === 1);
    first.child.kill('SIGKILL');
    await first.exited();

    // Merged while no dispatcher runs: the slot is free, and only the new process can fill it.
    await world.finish(convoy.convoyId, convoy.beadIds[0]);
    const second = await start();
    await eventually('every bead merged', async () => {
      const view = await world.view(convoy.convoyId);
      for (const bead of view.beads.values()) if (bead.status === 'IN_PROGRESS') await world.finish(convoy.convoyId, bead.beadId);
      return [...view.beads.values()].every((b) => b.status === 'CLOSED');
    });

    const keys = dispatchKeys(await world.events(convoy.convoyId));
    expect(keys.sort()).toEqual(convoy.beadIds.map((id) => `${id}:1`).sort());
    expect(mostAtWork(await world.commits(convoy.convoyId))).toBe(1);
    expect(second.output()).toMatch(/dispatch bead #1 \S+ of convoy \S+ to Nux \(attempt 1\)/);

    // Nest runs the shutdown hooks (stop following, drain NATS) and then re-raises the signal.
    second.child.kill('SIGTERM');
    expect(await second.exited()).toBe('SIGTERM');
  });
});
