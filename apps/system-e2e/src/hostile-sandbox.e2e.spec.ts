import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, TEST_SECRETS_KEY } from '@gastown/testing';
import { SystemHarness, type OtherTown } from '@gastown/system-testing';

interface HostileBead {
  status: string;
  lastReason: string | null;
}

/**
 * A town's checks run the town's own argv on every merge result: the place a hostile tenant
 * runs code on the runner today without any operator setting. What the code found is printed
 * and the check fails, so the check's output comes back to the attacker as the bead's rework
 * reason — exactly what the attacker can read through the API.
 */
describe('a hostile tenant running code through its checks', () => {
  let system: SystemHarness;
  let mallory: OtherTown;
  const marker = join('/tmp', `gt-hostile-marker-${randomUUID()}`);

  beforeAll(async () => {
    system = await SystemHarness.start({ env: { CONVOY_MAX_ATTEMPTS: '1' } });
    mallory = await system.addTown('mallory');
  });
  afterAll(async () => {
    await system?.close();
  });

  it('given a check that reads every environment, lists the runner data and writes /tmp, then it sees only its sandbox, and the neighbour lands untouched', async () => {
    const runnerData = join(system.dataDir, 'git-runner-1');
    const probe = [
      'echo HOSTILE-REPORT',
      'echo "uid=$(id -u)"',
      `for f in /proc/[0-9]*/environ; do tr '\\0' '\\n' < "$f"; done 2>/dev/null | sort -u | sed 's/^/env:/'`,
      `ls "${runnerData}" 2>&1 | sed 's/^/ls:/'`,
      `echo x > "${marker}" && echo wrote-marker`,
      'exit 1',
    ].join('; ');
    const origin = system.origin();
    const registered = await mallory.gqlRaw<{ registerRig: { id: string } }>(
      'mutation ($input: RegisterRigInput!) { registerRig(input: $input) { id } }',
      { input: { name: 'loot', gitUrl: origin.bare, defaultBranch: 'main', config: { checks: [{ name: 'probe', command: ['sh', '-c', probe] }] } } },
    );
    expect(registered.errors).toBeUndefined();
    const slung = await mallory.gqlRaw<{ sling: { id: string } }>(
      'mutation ($input: SlingInput!) { sling(input: $input) { id } }',
      { input: { title: 'Probe the runner', rigId: registered.data?.registerRig.id } },
    );
    expect(slung.errors).toBeUndefined();
    const victimRig = await system.registerRig('web', system.origin().bare);
    const victim = await system.slingBatch({ title: 'Victim', defaultRigId: victimRig, tasks: [{ title: 'Schema' }, { title: 'API', dependsOn: [0] }] });

    const bead = await eventually(
      'the hostile check to report',
      async () => {
        const answer = await mallory.gqlRaw<{ convoy: { beads: HostileBead[] } }>('query ($id: ID!) { convoy(id: $id) { beads { status lastReason } } }', {
          id: slung.data?.sling.id,
        });
        const found = answer.data?.convoy.beads[0];
        return found?.lastReason?.includes('HOSTILE-REPORT') ? found : null;
      },
      { timeoutMs: 120_000, intervalMs: 200 },
    );
    const report = bead.lastReason ?? '';

    expect(report).toContain('uid=65534');
    const envNames = report
      .split('\n')
      .filter((line) => line.startsWith('env:'))
      .map((line) => line.slice(4).split('=')[0]);
    for (const secret of ['DATABASE_URL', 'NATS_URL', 'NATS_PASSWORD', 'GASTOWN_SECRETS_KEY', 'GT_NAMESPACE']) expect(envNames).not.toContain(secret);
    expect(report).not.toContain(TEST_SECRETS_KEY);
    expect(report).not.toContain('postgres://');
    expect(report).toMatch(/ls:.*No such file or directory/);
    expect(report).toContain('wrote-marker');
    expect(existsSync(marker)).toBe(false);

    const landed = await system.until(victim.id, ['LANDED']);
    expect(landed.beads.map((b) => b.status)).toEqual(['CLOSED', 'CLOSED']);
  }, 240_000);
});
