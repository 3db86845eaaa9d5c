import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface EntryStart {
  /** 0 once it reached for the network; 2 when it refused its configuration; null when it hung. */
  readonly code: number | null;
  /** The host:port it first connected to (or host, when it first resolved a name): its configuration was accepted by then. */
  readonly firstConnection: string | null;
  readonly output: string;
}

const MARK = 'deploy-probe: first connection to ';

/**
 * Preloaded with --require: the first outbound connection or name lookup ends the process with
 * exit 0 after naming its target. A service validates its whole configuration before it connects
 * to anything, so reaching this point means the environment under test was accepted, without
 * the service having to reach hosts (nats-1, postgres) that only exist in a deployment.
 */
const PROBE = `
const net = require('node:net');
const dns = require('node:dns');
const { writeSync } = require('node:fs');
const stop = (target) => { writeSync(1, '\\n${MARK}' + target + '\\n'); process.exit(0); };
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  const [first, second] = Array.isArray(args[0]) ? args[0] : args;
  if (first && typeof first === 'object') stop(first.path || (first.host || 'localhost') + ':' + first.port);
  else if (typeof first === 'string' && Number.isNaN(Number(first))) stop(first);
  else stop((typeof second === 'string' ? second : 'localhost') + ':' + first);
  return connect.apply(this, args);
};
dns.lookup = (host) => stop(host);
dns.promises.lookup = (host) => stop(host);
`;

let probeFile: string | undefined;

/** Runs `node <args>` with exactly `env` (plus PATH) until it first reaches for the network, exits, or `timeoutMs` passes. */
export function startUntilFirstConnection(args: readonly string[], env: Readonly<Record<string, string>>, timeoutMs = 30_000): Promise<EntryStart> {
  if (!probeFile) {
    probeFile = join(mkdtempSync(join(tmpdir(), 'gt-deploy-probe-')), 'first-connection.probe.js');
    writeFileSync(probeFile, PROBE);
  }
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--require', probeFile as string, ...args], {
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer) => (output += chunk.toString('utf8'));
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      const mark = output.split('\n').find((line) => line.startsWith(MARK));
      done({ code, firstConnection: mark ? mark.slice(MARK.length) : null, output });
    });
  });
}
