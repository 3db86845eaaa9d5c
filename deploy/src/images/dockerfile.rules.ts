import { finalStages, imageTarget, type DockerfileModel, type ImageTarget, type Step } from './dockerfile.model';

/**
 * The rules a reviewer would hold an image to, hadolint's that matter here among them (DL3002
 * root user, DL3007 latest, DL3020 ADD, DL3015 recommends, DL3009 apt lists, DL3025 exec form).
 * No hadolint binary installs from the registries these machines reach; dockerfile-utils
 * validates the syntax and these read the parsed file. Each problem is one line naming the line.
 */
export function lintDockerfile(model: DockerfileModel): string[] {
  const problems = [...model.diagnostics];
  const externalBases = model.stages.filter((s) => !model.stages.some((other) => other.name === s.from));
  for (const stage of externalBases) problems.push(...pinnedBase(stage.from, stage.line));
  for (const step of model.stages.flatMap((s) => s.steps)) problems.push(...stepProblems(step));
  for (const stage of finalStages(model)) problems.push(...targetProblems(imageTarget(model, stage.name)));
  return problems;
}

/** An exact release (node:22.23.3-bookworm-slim) or a digest: `latest`, `22` or `lts` move under you. */
function pinnedBase(image: string, line: number): string[] {
  if (image.includes('$')) return [`line ${line}: FROM ${image}: a base image whose name is not known until build time cannot be checked`];
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return [];
  const tag = /:([^/:@]+)$/.exec(image)?.[1];
  if (!tag) return [`line ${line}: FROM ${image}: no tag, which means latest`];
  if (tag === 'latest' || !/^v?\d+\.\d+\.\d+/.test(tag)) return [`line ${line}: FROM ${image}: tag "${tag}" is not an exact version (major.minor.patch) or a digest`];
  return [];
}

const SECRET_NAME = /(PASSWORD|SECRET|TOKEN|PRIVATE|_KEY$|_KEYS$)/;

function stepProblems(step: Step): string[] {
  const at = `line ${step.line}: ${step.keyword}`;
  const problems: string[] = [];
  if (step.keyword === 'ADD' && step.args.some((a) => /^(https?|git|ssh):\/\/|^git@/.test(a))) {
    problems.push(`${at} fetches ${step.args.find((a) => a.includes('://') || a.startsWith('git@'))}: download in a RUN with a checksum, or COPY what the context has`);
  } else if (step.keyword === 'ADD') {
    problems.push(`${at}: use COPY; ADD unpacks archives and fetches URLs behind your back`);
  }
  if (step.keyword === 'RUN' && /\bnpm\s+ci\b/.test(step.text)) {
    problems.push(`${at} runs npm ci, which refuses this project's lockfile on some registries: npm install --no-audit --no-fund installs the locked tree`);
  }
  if (step.keyword === 'RUN' && /\bapt-get\s+(-\S+\s+)*install\b/.test(step.text)) {
    if (!/--no-install-recommends/.test(step.text)) problems.push(`${at}: apt-get install without --no-install-recommends`);
    if (!/apt-get\s+update/.test(step.text)) problems.push(`${at}: apt-get install without apt-get update in the same RUN (a cached layer installs from a stale list)`);
    if (!/rm -rf \/var\/lib\/apt\/lists/.test(step.text)) problems.push(`${at}: apt-get install leaves /var/lib/apt/lists in the layer`);
  }
  if (step.keyword === 'ENV' || step.keyword === 'ARG') {
    const names = step.keyword === 'ENV' ? Object.keys(step.properties) : step.args.map((a) => a.split('=')[0] ?? '');
    for (const name of names.filter((n) => SECRET_NAME.test(n))) problems.push(`${at} ${name}: a secret baked into an image layer; give it at run time`);
  }
  if (step.keyword === 'COPY' && step.args.some((a) => /(^|\/)\.env$|\.pem$|id_(rsa|ed25519)/.test(a))) {
    problems.push(`${at} copies a credential file into the image`);
  }
  return problems;
}

function targetProblems(target: ImageTarget): string[] {
  const at = `target ${target.name}`;
  const problems: string[] = [];
  const uid = target.user === null ? null : /^(\d+)(:\d+)?$/.exec(target.user)?.[1];
  if (target.user === null) problems.push(`${at}: runs as root (no USER)`);
  else if (uid === undefined) problems.push(`${at}: USER ${target.user} is a name: Kubernetes' runAsNonRoot can only verify a numeric uid`);
  else if (uid === '0') problems.push(`${at}: USER ${target.user} is root`);
  const entry = [...(target.entrypoint ?? []), ...(target.cmd ?? [])];
  for (const step of target.chain.flatMap((s) => s.steps).filter((s) => s.keyword === 'ENTRYPOINT' || s.keyword === 'CMD')) {
    if (step.exec === null) problems.push(`${at}: line ${step.line}: ${step.keyword} in shell form: /bin/sh becomes PID 1 and SIGTERM never reaches node`);
  }
  if (entry.length === 0) problems.push(`${at}: no ENTRYPOINT or CMD`);
  else if (!/(^|\/)(tini|dumb-init)$/.test(entry[0] ?? '')) {
    problems.push(`${at}: ${entry[0]} is PID 1: without an init (tini) orphaned git and sandbox processes are never reaped`);
  }
  for (const step of target.chain.flatMap((s) => s.steps)) {
    const chown = step.flags['chown'];
    if (step.keyword === 'COPY' && chown && uid && chown.split(':')[0] === uid) {
      problems.push(`${at}: line ${step.line}: COPY --chown=${chown} hands the service its own code to change; leave code to root`);
    }
  }
  const chowned = target.chain.flatMap((s) => s.steps).filter((s) => s.keyword === 'RUN' && uid && new RegExp(`chown (-R )?${uid}\\b`).test(s.text));
  for (const volume of target.volumes) {
    if (!chowned.some((s) => s.text.includes(volume))) problems.push(`${at}: VOLUME ${volume} is not given to uid ${uid ?? '?'}, which must write it`);
  }
  return problems;
}
