import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface EntryStart {
  /** 0 once it reached for the network; 2 when it refused its configuration; null when it hung. */
  readonly code: number | null;
  /** The host:port it first connected to (or host, when it first resolved a name): its configuration was accepted by then. */
  readonly firstConnection: string | null;
  /** host:port of every listener it opened before that, as configured (each really got a free port instead). */
  readonly listens: readonly string[];
  readonly output: string;
}

const MARK = 'deploy-probe: first connection to ';
const LISTEN = 'deploy-probe: listens on ';

/**
 * Preloaded with --require: the first outbound connection or name lookup ends the process with
 * exit 0 after naming its target. A service validates its whole configuration before it connects
 * to anything, so reaching this point means the environment under test was accepted, without
 * the service having to reach hosts (nats-1, postgres) that only exist in a deployment. Listeners
 * are recorded as configured and opened on a free port, so the ports of a deployment never clash
 * with what else runs on this machine.
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
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const options = args[0] && typeof args[0] === 'object' ? args[0] : { port: args[0], host: typeof args[1] === 'string' ? args[1] : undefined };
  writeSync(1, '\\n${LISTEN}' + (options.host || '::') + ':' + options.port + '\\n');
  if (args[0] && typeof args[0] === 'object') args[0] = { ...args[0], port: 0 };
  else args[0] = 0;
  return listen.apply(this, args);
};
// A listener's own address (0.0.0.0) is looked up too; only a name to connect to ends the run.
const lookup = dns.lookup;
const lookupPromise = dns.promises.lookup;
dns.lookup = (host, ...rest) => (net.isIP(host) ? lookup(host, ...rest) : stop(host));
dns.promises.lookup = (host, ...rest) => (net.isIP(host) ? lookupPromise(host, ...rest) : stop(host));
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
      const lines = output.split('\n');
      const mark = lines.find((line) => line.startsWith(MARK));
      const listens = lines.filter((line) => line.startsWith(LISTEN)).map((line) => line.slice(LISTEN.length));
      done({ code, firstConnection: mark ? mark.slice(MARK.length) : null, listens, output });
    });
  });
}
