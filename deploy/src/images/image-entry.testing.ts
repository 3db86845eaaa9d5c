import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from '@gastown/testing';
import { startUntilFirstConnection, type EntryStart } from '../settings/entry.probe';
import { imageTarget, workspacePathOf, type DockerfileModel } from './dockerfile.model';

export interface ImageEntry {
  /** node's arguments, image paths replaced by the built files they come from. */
  readonly args: readonly string[];
  /** The image's ENV, then `env`, with image paths replaced the same way (a VOLUME by a fresh directory). */
  readonly env: Readonly<Record<string, string>>;
}

/**
 * A target's entry command as it would run in the image (ENTRYPOINT + CMD, or `command` instead
 * of CMD), on this machine: tini is left out (it only execs node), and the files the image holds
 * are the ones in dist/ they were copied from, beside the workspace's node_modules.
 */
export function imageEntry(model: DockerfileModel, targetName: string, env: Readonly<Record<string, string>>, command?: readonly string[]): ImageEntry {
  const target = imageTarget(model, targetName);
  const argv = [...(target.entrypoint ?? []), ...(command ?? target.cmd ?? [])];
  const node = argv.findIndex((word) => word === 'node' || word.endsWith('/node'));
  if (node < 0) throw new Error(`target ${targetName} does not run node: ${argv.join(' ')}`);
  const volumes = new Map(target.volumes.map((v) => [v, mkdtempSync(join(tmpdir(), 'gt-deploy-volume-'))]));
  const local = (value: string): string => {
    const volume = [...volumes.keys()].find((v) => value === v || value.startsWith(`${v}/`));
    if (volume) return value.replace(volume, volumes.get(volume) as string);
    if (!value.startsWith('/')) return value;
    const built = workspacePathOf(model, target, value);
    return built === null ? value : join(WORKSPACE_ROOT, built);
  };
  const merged = { ...target.env, ...env };
  return {
    args: argv.slice(node + 1).map(local),
    env: Object.fromEntries(Object.entries(merged).map(([name, value]) => [name, local(value)])),
  };
}

export function startImageEntryUntilFirstConnection(entry: ImageEntry): Promise<EntryStart> {
  return startUntilFirstConnection(entry.args, entry.env);
}
