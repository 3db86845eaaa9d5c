import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parsePromptBlock } from './agent.prompt';
import { applyWrite, planDemo } from './demo.agent';

/**
 * The demo agent as a process: `node demo-agent.main.js <prompt file>`, bundled with what it loads
 * (by the runner's build, or once per runner process from sources), started by the runner with
 * the worktree as its current directory. The decisions live in demo.agent.ts; this file only
 * reads, writes and exits.
 */
function main(): void {
  const promptFile = process.argv[2] ?? process.env['GASTOWN_PROMPT_FILE'];
  if (!promptFile) {
    process.stderr.write('demo agent: no prompt file (pass its path as the first argument or in GASTOWN_PROMPT_FILE)\n');
    process.exitCode = 2;
    return;
  }
  const plan = planDemo(parsePromptBlock(readFileSync(promptFile, 'utf8')));
  switch (plan.kind) {
    case 'fail':
      process.stderr.write(`${plan.message}\n`);
      process.exitCode = 1;
      break;
    case 'hang': {
      // A grandchild in the same process group: stopping only this process would leave it behind.
      const grandchild = spawn('sleep', ['3600'], { stdio: 'ignore' });
      process.stdout.write(`demo agent: hanging as told by demo:hang (grandchild pid ${grandchild.pid})\n`);
      setInterval(() => undefined, 60_000);
      break;
    }
    case 'write': {
      for (const write of plan.writes) {
        const file = resolve(write.path);
        let current: string | null = null;
        try {
          current = readFileSync(file, 'utf8');
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, applyWrite(current, write));
        process.stdout.write(`demo agent: ${write.mode === 'append' ? 'appended to' : 'wrote'} ${write.path}\n`);
      }
      if (plan.writes.length === 0) process.stdout.write('demo agent: nothing to change (demo:noop)\n');
      break;
    }
  }
}

try {
  main();
} catch (error) {
  process.stderr.write(`demo agent: ${(error as Error).message}\n`);
  process.exitCode = 2;
}
