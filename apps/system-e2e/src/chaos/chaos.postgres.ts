import { execFile } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';

const run = promisify(execFile);
/** Debian's PostgreSQL binaries; PG_BIN points elsewhere. */
const PG_BIN = process.env['PG_BIN'] ?? '/usr/lib/postgresql/15/bin';

/**
 * A PostgreSQL cluster of the chaos run's own, in a temporary directory on its own port: the
 * machine's shared cluster is never stopped. initdb and the server refuse to run as root, so as
 * root they run as the `postgres` user, which then owns the directory.
 */
export class ChaosPostgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  static async start(port: number): Promise<ChaosPostgres> {
    const dir = mkdtempSync(join(tmpdir(), 'gt-chaos-pg-'));
    const pg = new ChaosPostgres(dir, port);
    if (process.getuid?.() === 0) {
      const { stdout } = await run('id', ['-u', 'postgres']);
      const { stdout: gid } = await run('id', ['-g', 'postgres']);
      chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
      chmodSync(dir, 0o700);
    }
    try {
      await pg.pg('initdb', '-D', pg.dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync');
      await pg.startServer();
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    return pg;
  }

  private get dataDir(): string {
    return join(this.dir, 'data');
  }

  adminUrl(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  async createDatabase(name: string): Promise<string> {
    const admin = new Client({ connectionString: this.adminUrl() });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
    return this.adminUrl(name);
  }

  /** Starts the server and returns once it accepts connections (crash recovery included). */
  async startServer(): Promise<void> {
    await this.pg(
      'pg_ctl', '-D', this.dataDir, '-l', join(this.dir, 'server.log'), '-w', '-t', '60',
      '-o', `-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.dir} -c synchronous_commit=on -c fsync=on`,
      'start',
    );
  }

  /** An immediate stop: every backend is killed, no checkpoint, crash recovery at the next start. */
  async stopImmediate(): Promise<void> {
    await this.pg('pg_ctl', '-D', this.dataDir, '-m', 'immediate', '-w', 'stop');
  }

  /** Stops the server if it runs and removes the cluster. */
  async remove(): Promise<void> {
    await this.stopImmediate().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async pg(binary: string, ...args: string[]): Promise<void> {
    const path = join(PG_BIN, binary);
    const [command, argv] = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args];
    await run(command, argv, { cwd: this.dir });
  }
}
