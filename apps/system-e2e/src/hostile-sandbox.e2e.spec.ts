import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
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

  it("given a check that reads every environment, searches the runner's data for the neighbour's clone and writes /tmp, then it sees only its sandbox, and the neighbour is untouched", async () => {
    const runnerData = join(system.dataDir, 'git-runner-1');
    const victimOrigin = system.origin();
    const victimRig = await system.registerRig('web', victimOrigin.bare);
    const victim = await system.slingBatch({ title: 'Victim', defaultRigId: victimRig, tasks: [{ title: 'Schema' }, { title: 'API', dependsOn: [0] }] });
    const landed = await system.until(victim.id, ['LANDED']);
    const victimMain = victimOrigin.read('rev-parse', 'origin/main');
    expect(onDisk(runnerData).some((path) => path.includes(victimRig))).toBe(true);

    const probe = [
      'echo HOSTILE-REPORT',
      'echo "uid=$(id -u)"',
      `echo x > "${marker}" && echo wrote-marker`,
      `find "${runnerData}" -maxdepth 6 2>&1 | sed 's/^/seen:/'`,
      `for f in /proc/[0-9]*/environ; do tr '\\0' '\\n' < "$f"; done 2>/dev/null | sort -u | sed 's/^/env:/'`,
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
    const seen = report.split('\n').filter((line) => line.startsWith('seen:'));
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((line) => line.includes(victimRig))).toEqual([]);
    expect(report).toContain('wrote-marker');
    expect(existsSync(marker)).toBe(false);

    expect(landed.beads.map((b) => b.status)).toEqual(['CLOSED', 'CLOSED']);
    expect(victimOrigin.read('rev-parse', 'origin/main')).toBe(victimMain);
  }, 240_000);
});

/** Every path under `dir`, as the runner itself sees them, a few levels down. */
function onDisk(dir: string, depth = 6): string[] {
  if (depth === 0) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return [path, ...(entry.isDirectory() ? onDisk(path, depth - 1) : [])];
  });
}
