import { mkdirSync, writeFileSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import type { DataLayout } from '../runner/data.layout';

interface AgentRecord {
  /** The agent's pid, which is also its process group id. */
  pid: number;
  /** Its worktree: runAgent sets GASTOWN_WORKDIR to it, which tells our agent from a process that reused the pid. */
  workdir: string;
}

/**
 * Agents run in their own process group, so they outlive a runner that is SIGKILLed. Each
 * running agent is recorded on disk; the next runner on this data directory stops whatever a
 * record still names before it touches the worktrees.
 */
export class AgentRecords {
  private readonly logger = new Logger('git-runner');

  constructor(private readonly layout: DataLayout) {}

  /** Synchronous, so the record exists before anything can kill the runner after the agent started. */
  write(worktreeKey: string, record: AgentRecord): void {
    mkdirSync(this.layout.agentsDir, { recursive: true });
    writeFileSync(this.layout.agentRecord(worktreeKey), JSON.stringify(record));
  }

  async remove(worktreeKey: string): Promise<void> {
    await rm(this.layout.agentRecord(worktreeKey), { force: true });
  }

  /** Kills the process groups of agents a previous runner left running, then forgets their records. */
  async reapOrphans(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.layout.agentsDir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const name of names.filter((n) => n.endsWith('.json'))) {
      const file = join(this.layout.agentsDir, name);
      const record = parseRecord(await readFile(file, 'utf8').catch(() => ''));
      if (record) {
        const members = await groupMembers(record.pid);
        if (await anyRunsIn(members, record.workdir)) {
          killGroup(record.pid);
          this.logger.warn(`stopped agent process group ${record.pid} left running in ${record.workdir} by a previous runner`);
        }
      }
      await rm(file, { force: true });
    }
  }
}

function parseRecord(text: string): AgentRecord | undefined {
  try {
    const value = JSON.parse(text) as Partial<AgentRecord>;
    return Number.isInteger(value.pid) && (value.pid ?? 0) > 1 && typeof value.workdir === 'string' ? (value as AgentRecord) : undefined;
  } catch {
    return undefined;
  }
}

/** The pids of a process group, from /proc (Linux; elsewhere none are found and nothing is killed). */
async function groupMembers(pgid: number): Promise<number[]> {
  const members: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Fields after the command name, which may itself hold spaces and parentheses: state, ppid, pgrp.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid) members.push(Number(entry));
  }
  return members;
}

async function anyRunsIn(pids: number[], workdir: string): Promise<boolean> {
  const marker = `GASTOWN_WORKDIR=${workdir}`;
  for (const pid of pids) {
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
    if (environ.split('\0').includes(marker)) return true;
  }
  return false;
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch (error) {
    // ESRCH: it ended meanwhile.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}
