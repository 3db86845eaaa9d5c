import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { DockerfileParser, JSONInstruction, ModifiableInstruction, PropertyInstruction, type Instruction } from 'dockerfile-ast';
import { validate, ValidationSeverity } from 'dockerfile-utils';

/** One instruction as the rules read it: its keyword, its words, and its flags (`--from`, `--chown`). */
export interface Step {
  readonly line: number;
  readonly keyword: string;
  /** The arguments, flags left out, as written (variables not expanded). */
  readonly args: readonly string[];
  readonly text: string;
  readonly flags: Readonly<Record<string, string | null>>;
  /** ENTRYPOINT, CMD, RUN… in exec form: the JSON array's strings; null in shell form. */
  readonly exec: readonly string[] | null;
  /** ENV's name=value pairs. */
  readonly properties: Readonly<Record<string, string>>;
}

export interface Stage {
  readonly name: string;
  /** The FROM image with global ARGs expanded: another stage's name, or an image reference. */
  readonly from: string;
  readonly line: number;
  readonly steps: readonly Step[];
}

export interface DockerfileModel {
  readonly path: string;
  readonly stages: readonly Stage[];
  /** What dockerfile-utils' validator reports (unknown instructions, bad flags, relative WORKDIR…). */
  readonly diagnostics: readonly string[];
}

/**
 * What a target image is at run time, following its FROM chain through the file's own stages:
 * the last USER, WORKDIR, ENTRYPOINT and CMD win, ENV and VOLUME accumulate.
 */
export interface ImageTarget {
  readonly name: string;
  /** The external image the chain starts from. */
  readonly base: string;
  /** The stages from the base's child down to the target. */
  readonly chain: readonly Stage[];
  readonly user: string | null;
  readonly workdir: string;
  readonly entrypoint: readonly string[] | null;
  readonly cmd: readonly string[] | null;
  readonly env: Readonly<Record<string, string>>;
  readonly volumes: readonly string[];
}

function flagsOf(instruction: Instruction): Record<string, string | null> {
  if (!(instruction instanceof ModifiableInstruction)) return {};
  return Object.fromEntries(instruction.getFlags().map((flag) => [flag.getName(), flag.getValue()]));
}

function stepOf(instruction: Instruction): Step {
  const flags = flagsOf(instruction);
  const words = instruction.getArguments().map((a) => a.getValue());
  const exec =
    instruction instanceof JSONInstruction && instruction.getJSONStrings().length > 0 ? instruction.getJSONStrings().map((s) => s.getJSONValue()) : null;
  const properties =
    instruction instanceof PropertyInstruction ? Object.fromEntries(instruction.getProperties().map((p) => [p.getName(), p.getValue() ?? ''])) : {};
  return {
    line: instruction.getRange().start.line + 1,
    keyword: instruction.getKeyword(),
    args: words,
    text: instruction.getRawArgumentsContent() ?? '',
    flags,
    exec,
    properties,
  };
}

export function parseDockerfile(path: string, text = readFileSync(path, 'utf8')): DockerfileModel {
  const dockerfile = DockerfileParser.parse(text);
  const globals: Record<string, string> = {};
  for (const arg of dockerfile.getInitialARGs()) {
    const property = arg.getProperty();
    if (property) globals[property.getName()] = property.getValue() ?? '';
  }
  const expand = (value: string) => value.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (whole, name: string) => globals[name] ?? whole);
  const stages: { name: string; from: string; line: number; steps: Step[] }[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    const step = stepOf(instruction);
    if (step.keyword === 'FROM') {
      const [image = '', as, name] = step.args;
      stages.push({ name: as?.toUpperCase() === 'AS' && name ? name : String(stages.length), from: expand(image), line: step.line, steps: [] });
    } else if (stages.length > 0) {
      stages[stages.length - 1].steps.push(step);
    }
  }
  const diagnostics = validate(text).map(
    (d) => `line ${d.range.start.line + 1}: ${d.severity === ValidationSeverity.ERROR ? 'error' : 'warning'}: ${d.message}`,
  );
  return { path, stages, diagnostics };
}

export function imageTarget(model: DockerfileModel, name: string): ImageTarget {
  const chain: Stage[] = [];
  let stage = model.stages.find((s) => s.name === name);
  if (!stage) throw new Error(`${model.path} has no stage ${name}`);
  while (stage) {
    chain.unshift(stage);
    const parent: string = stage.from;
    stage = model.stages.find((s) => s.name === parent);
  }
  let user: string | null = null;
  let workdir = '/';
  let entrypoint: readonly string[] | null = null;
  let cmd: readonly string[] | null = null;
  const env: Record<string, string> = {};
  const volumes: string[] = [];
  for (const step of chain.flatMap((s) => s.steps)) {
    if (step.keyword === 'USER') user = step.args[0] ?? null;
    if (step.keyword === 'WORKDIR') workdir = posix.resolve(workdir, step.args[0] ?? '.');
    if (step.keyword === 'ENTRYPOINT') [entrypoint, cmd] = [step.exec ?? step.args, null];
    if (step.keyword === 'CMD') cmd = step.exec ?? step.args;
    if (step.keyword === 'ENV') Object.assign(env, step.properties);
    if (step.keyword === 'VOLUME') volumes.push(...(step.exec ?? step.args));
  }
  return { name, base: chain[0].from, chain, user, workdir, entrypoint, cmd, env, volumes };
}

/** The stages no other stage builds FROM or copies from: the images the file is for. */
export function finalStages(model: DockerfileModel): Stage[] {
  const used = new Set(model.stages.flatMap((s) => [s.from, ...s.steps.map((step) => step.flags['from'] ?? '')]));
  return model.stages.filter((s) => !used.has(s.name));
}

/**
 * Where a path of the image comes from in the build stage: `/app/main.js` in the convoy target is
 * `/src/dist/services/convoy/main.js` of stage `build`. Null when no COPY --from put it there.
 */
export function copiedFrom(target: ImageTarget, imagePath: string): { stage: string; path: string } | null {
  let found: { stage: string; path: string; into: string } | null = null;
  let workdir = '/';
  for (const step of target.chain.flatMap((s) => s.steps)) {
    if (step.keyword === 'WORKDIR') workdir = posix.resolve(workdir, step.args[0] ?? '.');
    const stage = step.flags['from'];
    if (step.keyword !== 'COPY' || !stage || step.args.length !== 2) continue;
    const [source, destination] = step.args as [string, string];
    const into = posix.resolve(workdir, destination);
    const relative = posix.relative(into, imagePath);
    if (relative.startsWith('..')) continue;
    // The deepest destination holding the path is the copy that put it there (node_modules in /app).
    if (!found || into.length >= found.into.length) found = { stage, path: posix.join(source, relative), into };
  }
  return found && { stage: found.stage, path: found.path };
}

/**
 * The file of the workspace that an image path is built from: `/app/main.js` of the convoy target
 * is dist/services/convoy/main.js, through the COPY --from of the build stage, whose `COPY . .`
 * put the workspace in its WORKDIR. Null for what no such copy put there (node_modules).
 */
export function workspacePathOf(model: DockerfileModel, target: ImageTarget, imagePath: string): string | null {
  const copied = copiedFrom(target, imagePath);
  const stage = copied && model.stages.find((s) => s.name === copied.stage);
  if (!copied || !stage) return null;
  let workdir = '/';
  for (const step of stage.steps) {
    if (step.keyword === 'WORKDIR') workdir = posix.resolve(workdir, step.args[0] ?? '.');
    if (step.keyword === 'COPY' && !step.flags['from'] && step.args.length === 2 && step.args[0] === '.' && posix.resolve(workdir, step.args[1] ?? '') === workdir) {
      const relative = posix.relative(workdir, copied.path);
      return relative.startsWith('..') ? null : relative;
    }
  }
  return null;
}
