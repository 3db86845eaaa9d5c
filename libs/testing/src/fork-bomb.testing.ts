/**
 * A fork storm that never dies out, for the specs and benches that wait for a run's refused forks.
 *
 * The classic shell bomb (`b() { b | b & }; b`) is the wrong tool for that: under a process limit
 * each refused fork ends the dash process that tried it ("Cannot fork" exits a non-interactive
 * shell), so its population can die out before its refusals reach a threshold, and a spec waiting
 * for them then times out by chance. Here one node process forks for ever: it fills its limit, then
 * every fork it tries is refused, thousands a second, whatever the host's load.
 *
 * Every process it starts carries `marker` in its command line (a shell that then sleeps), so a
 * spec can tell that nothing of it outlived its run.
 */
const STORM = [
  "const { spawn } = require('node:child_process');",
  'const marker = process.argv[1];',
  // The marker is the shell's $0: it stands in the command line, and no text is spliced into the script.
  "const fork = () => { try { spawn('sh', ['-c', 'sleep 300; :', marker], { stdio: 'ignore' }).on('error', () => undefined); } catch {} setImmediate(fork); };",
  'fork();',
].join('\n');

export function forkBomb(marker: string, node = process.execPath): string[] {
  return [node, '-e', STORM, marker];
}
