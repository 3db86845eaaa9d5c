import { cgroupMounts, findCgroupHost, ownCgroups, townCgroupFiles, townCgroupName } from './sandbox.cgroup';

const MOUNTINFO = [
  '30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu,cpuacct',
  '34 30 0:31 /docker/abc /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
  '38 30 0:35 / /sys/fs/cgroup/pids\\040hierarchy rw,relatime - cgroup cgroup rw,pids',
  '40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
].join('\n');

describe('finding the runner cgroups', () => {
  it('given mountinfo, when read, then only cgroup mounts are kept, with their hierarchy root and escaped paths decoded', () => {
    expect(cgroupMounts(MOUNTINFO)).toEqual([
      { fstype: 'cgroup', root: '/', mountPoint: '/sys/fs/cgroup/cpu', superOptions: ['rw', 'cpu', 'cpuacct'] },
      { fstype: 'cgroup', root: '/docker/abc', mountPoint: '/sys/fs/cgroup/memory', superOptions: ['rw', 'memory'] },
      { fstype: 'cgroup', root: '/', mountPoint: '/sys/fs/cgroup/pids hierarchy', superOptions: ['rw', 'pids'] },
      { fstype: 'cgroup2', root: '/', mountPoint: '/sys/fs/cgroup/unified', superOptions: ['rw'] },
    ]);
  });

  it('given /proc/self/cgroup, when read, then every controller of a v1 line has its path, and v2 has the empty name', () => {
    const own = ownCgroups('8:pids:/runner\n1:cpu,cpuacct:/\n4:memory:/docker/abc/runner\n0::/unified/runner\n');

    expect(Object.fromEntries(own)).toEqual({ pids: '/runner', cpu: '/', cpuacct: '/', memory: '/docker/abc/runner', '': '/unified/runner' });
  });

  it('given v1 memory and pids hierarchies and no delegated v2, when searched, then runs go under the runner own v1 cgroups, below a mount of a subtree', () => {
    const host = findCgroupHost(MOUNTINFO, '8:pids:/runner\n1:cpu,cpuacct:/\n4:memory:/docker/abc/runner\n0::/gastown-no-such-cgroup\n');

    expect(host).toEqual({
      version: 1,
      dirs: { memory: '/sys/fs/cgroup/memory/runner', pids: '/sys/fs/cgroup/pids hierarchy/runner', cpu: '/sys/fs/cgroup/cpu' },
    });
  });

  it('given a cgroup outside what the mounts show, or no memory hierarchy, when searched, then it says why there is none', () => {
    expect(findCgroupHost(MOUNTINFO, '8:pids:/runner\n4:memory:/elsewhere\n')).toEqual({ unavailable: expect.stringContaining('no cgroup v1 memory and pids') });
    expect(findCgroupHost('', '')).toEqual({ unavailable: 'no cgroup v2 or cgroup v1 memory and pids hierarchies are mounted' });
  });
});

describe('town cgroups', () => {
  const town = { cpus: 1.5, memoryMb: 4096, pids: 1024 };

  it('given a town id, when named, then a UUID is kept as it is and anything else becomes a hash that cannot leave the towns directory', () => {
    expect(townCgroupName('0b6f1f2e-8c1d-4c3a-9a57-1d2e3f4a5b6c')).toBe('town-0b6f1f2e-8c1d-4c3a-9a57-1d2e3f4a5b6c');
    expect(townCgroupName('../../escape')).toMatch(/^town-[0-9a-f]{32}$/);
    expect(townCgroupName('a/b')).not.toBe(townCgroupName('a/c'));
    expect(townCgroupName(undefined)).toBe('no-town');
  });

  it('given town caps, when written on cgroup v1, then every town gets the default weight of 1024 shares and its caps', () => {
    expect(townCgroupFiles(1, town)).toEqual([
      { controller: 'memory', file: 'memory.limit_in_bytes', value: String(4096 * 1024 * 1024) },
      { controller: 'memory', file: 'memory.memsw.limit_in_bytes', value: String(4096 * 1024 * 1024) },
      { controller: 'pids', file: 'pids.max', value: '1024' },
      { controller: 'cpu', file: 'cpu.shares', value: '1024' },
      { controller: 'cpu', file: 'cpu.cfs_period_us', value: '100000' },
      { controller: 'cpu', file: 'cpu.cfs_quota_us', value: '150000' },
    ]);
  });

  it('given town caps, when written on cgroup v2, then every town gets the default weight of 100 and its caps', () => {
    expect(townCgroupFiles(2, town)).toEqual([
      { controller: 'memory', file: 'memory.max', value: String(4096 * 1024 * 1024) },
      { controller: 'pids', file: 'pids.max', value: '1024' },
      { controller: 'cpu', file: 'cpu.weight', value: '100' },
      { controller: 'cpu', file: 'cpu.max', value: '150000 100000' },
    ]);
  });
});
