import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { worktreeTooLarge } from './sandbox.worktree';

describe('the worktree size check', () => {
  let worktree: string;

  beforeEach(() => {
    worktree = mkdtempSync(join(tmpdir(), 'gt-worktree-size-'));
    mkdirSync(join(worktree, 'src', 'deep'), { recursive: true });
    writeFileSync(join(worktree, 'src', 'deep', 'data.bin'), Buffer.alloc(3 * 1024 * 1024, 1));
    // Followed, the link would count the whole host.
    symlinkSync('/', join(worktree, 'root'));
  });

  afterEach(() => rmSync(worktree, { recursive: true, force: true }));

  it('given a worktree past the limit, when checked, then the reason says how large it grew and the limit', async () => {
    expect(await worktreeTooLarge(worktree, 2)).toMatch(/^worktree grew to [3-9] MB or more > limit 2 MB \(GIT_RUNNER_SANDBOX_WORKTREE_MB\); nothing of it was committed or pushed$/);
  });

  it('given a worktree within the limit, when checked, then it passes', async () => {
    expect(await worktreeTooLarge(worktree, 8)).toBeUndefined();
  });
});
