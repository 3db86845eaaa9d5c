/**
 * The sandbox watchdog as a process, started by its runner (sandbox.watchdog.ts):
 * `node sandbox.watchdog.main.js <orders as JSON>` (`node -r @swc-node/register
 * sandbox.watchdog.main.ts …` from sources), its stdin a pipe from the runner. Once the runner is
 * gone (EOF), it kills every process of the runner's runs, removes their cgroups and exits.
 */
import { sweepRunCgroups } from './sandbox.cgroup';
import type { WatchdogOrders } from './sandbox.watchdog';

const { runner, host } = JSON.parse(process.argv[2] ?? '') as WatchdogOrders;

let swept = false;
function sweep(): void {
  if (swept) return;
  swept = true;
  // Its runner's pid alone: the runner may linger as a zombie, and a live runner's runs are never touched.
  sweepRunCgroups(host, (pid) => pid === runner);
  process.exit(0);
}

// The runner never writes; a reset is its end too.
process.stdin.once('end', sweep).once('error', sweep).resume();
