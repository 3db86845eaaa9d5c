import { DEFAULT_RIG_CONFIG, type GastownEvent, type NewEvent, type RigConfig, type TownCommand } from '@gastown/contracts';
import type { Decision } from '../decider/decider.decision';
import { DomainError, rejectInput, type InputError } from '../decider/decider.error';
import { isValidRefName } from '../convoy/convoy.naming';

export interface Rig {
  rigId: string;
  name: string;
  gitUrl: string;
  defaultBranch: string;
  config: RigConfig;
}

export interface TownState {
  exists: boolean;
  townId: string | null;
  name: string | null;
  rigs: Map<string, Rig>;
  handledCommands: Set<string>;
}

export interface TownDecideContext {
  now: string;
}

const NAME_LENGTH = 100;
const GIT_URL_LENGTH = 2000;
const BRANCH_LENGTH = 200;
const TOKEN_HASH = /^[0-9a-f]{64}$/;

export function initialTownState(): TownState {
  return { exists: false, townId: null, name: null, rigs: new Map(), handledCommands: new Set() };
}

/** Returns a new state; a town holds few rigs, so copying stays cheap. */
export function evolveTown(state: TownState, event: GastownEvent): TownState {
  const handledCommands = new Set(state.handledCommands).add(event.commandId);
  switch (event.type) {
    case 'TownCreated':
      return { ...state, exists: true, townId: event.townId, name: event.data.name, handledCommands };
    case 'RigRegistered':
      return { ...state, rigs: new Map(state.rigs).set(event.data.rigId, { ...event.data }), handledCommands };
    default:
      return { ...state, handledCommands };
  }
}

export function decideTown(command: TownCommand, state: TownState, _ctx?: TownDecideContext): Decision {
  const result =
    command.type === 'CreateTown'
      ? { townId: command.townId }
      : { townId: command.townId, rigId: command.data.rigId };
  if (state.handledCommands.has(command.commandId)) return { events: [], result, duplicate: true };
  const events = command.type === 'CreateTown' ? createTown(command, state) : registerRig(command, state);
  return { events, result, duplicate: false };
}

function createTown(command: Extract<TownCommand, { type: 'CreateTown' }>, state: TownState): NewEvent[] {
  if (state.exists) throw DomainError.conflict(`town ${command.townId} already exists`, { townId: command.townId });
  const name = command.data.name.trim();
  const errors: InputError[] = [];
  const nameProblem = lengthProblem('name', name, NAME_LENGTH);
  if (nameProblem) errors.push({ path: ['name'], value: command.data.name, message: nameProblem });
  if (!TOKEN_HASH.test(command.data.tokenHash)) {
    errors.push({ path: ['tokenHash'], value: null, message: 'tokenHash must be 64 lower-case hex characters (a sha256)' });
  }
  if (errors.length > 0) throw rejectInput(errors);
  return [{ type: 'TownCreated', data: { name, tokenHash: command.data.tokenHash } }];
}

function registerRig(command: Extract<TownCommand, { type: 'RegisterRig' }>, state: TownState): NewEvent[] {
  if (!state.exists) throw DomainError.notFound(`town ${command.townId} does not exist`, { townId: command.townId });
  const { rigId, defaultBranch } = command.data;
  const name = command.data.name.trim();
  const gitUrl = command.data.gitUrl.trim();

  const config: RigConfig = { ...DEFAULT_RIG_CONFIG, ...command.data.config };
  const registered = state.rigs.get(rigId);
  if (registered) {
    // Registering the same rig again is a retry, not a change.
    const same =
      registered.name === name &&
      registered.gitUrl === gitUrl &&
      registered.defaultBranch === defaultBranch &&
      JSON.stringify(registered.config) === JSON.stringify(config);
    if (same) return [];
    throw DomainError.conflict(`rig ${rigId} is already registered as ${JSON.stringify(registered.name)}`, { rigId });
  }

  const errors: InputError[] = [];
  const nameProblem = lengthProblem('name', name, NAME_LENGTH);
  if (nameProblem) {
    errors.push({ path: ['name'], value: command.data.name, message: nameProblem });
  } else if ([...state.rigs.values()].some((rig) => rig.name.toLowerCase() === name.toLowerCase())) {
    errors.push({ path: ['name'], value: name, message: `name ${JSON.stringify(name)} is already used by another rig of this town` });
  }
  const urlProblem = gitUrlProblem(gitUrl);
  if (urlProblem) {
    // The value is left out of details: a rejected URL may carry a secret.
    errors.push({ path: ['gitUrl'], value: null, message: urlProblem });
  }
  if (defaultBranch.length > BRANCH_LENGTH) {
    errors.push({
      path: ['defaultBranch'],
      value: defaultBranch.length,
      message: `defaultBranch must be at most ${BRANCH_LENGTH} characters (it has ${defaultBranch.length})`,
    });
  } else if (!isValidRefName(defaultBranch) || defaultBranch.startsWith('-')) {
    errors.push({
      path: ['defaultBranch'],
      value: defaultBranch,
      message: `defaultBranch ${JSON.stringify(defaultBranch)} is not a valid branch name`,
    });
  }
  if (config.agent.kind === 'command' && config.agent.command[0].startsWith('-')) {
    errors.push({
      path: ['config', 'agent', 'command', 0],
      value: config.agent.command[0],
      message: 'config.agent.command[0] must name a program, not an option',
    });
  }
  config.checks.forEach((check, i) => {
    if (check.command[0].startsWith('-')) {
      errors.push({ path: ['config', 'checks', i, 'command', 0], value: check.command[0], message: `config.checks[${i}] ("${check.name}") must start with a program, not an option` });
    }
  });
  if (errors.length > 0) throw rejectInput(errors);
  return [{ type: 'RigRegistered', data: { rigId, name, gitUrl, defaultBranch, config } }];
}

function lengthProblem(field: string, value: string, max: number): string | null {
  if (value === '') return `${field} must not be empty`;
  if (value.length > max) return `${field} must be at most ${max} characters (it has ${value.length})`;
  return null;
}

const SUPPORTED =
  'use an absolute path, file://, ssh://, https://, http:// or user@host:path';
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
/** `user:secret@` right after the scheme, or at the start of an scp-like address. */
const PASSWORD_IN_URL = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#@]*:[^/?#@]*@/;
const PASSWORD_IN_SCP = /^[^/@:\s]+:[^/@\s]*@/;
const SCP_LIKE = /^([^@/:\s]+)@([^@/:\s]+):(.+)$/;
const hasSpaceOrControl = (text: string) =>
  /\s/.test(text) || [...text].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);

/**
 * Why git should not be pointed at this URL, or null. Passwords are refused without echoing
 * them; leading dashes are refused because git would read them as options (`-oProxyCommand=…`).
 */
function gitUrlProblem(url: string): string | null {
  if (url === '') return 'gitUrl must not be empty';
  if (PASSWORD_IN_URL.test(url) || PASSWORD_IN_SCP.test(url)) {
    return 'gitUrl must not contain a password: register the URL without it and let git get the secret from a credential helper or the environment (GIT_ASKPASS, GIT_SSH_COMMAND)';
  }
  if (url.length > GIT_URL_LENGTH) return `gitUrl must be at most ${GIT_URL_LENGTH} characters (it has ${url.length})`;
  const unsupported = `gitUrl ${JSON.stringify(url)} is not a git URL this town can use: ${SUPPORTED}`;
  if (hasSpaceOrControl(url)) return unsupported;
  const scheme = SCHEME.exec(url)?.[1].toLowerCase();
  if (scheme !== undefined) return schemeUrlOk(url, scheme) ? null : unsupported;
  if (url.startsWith('/')) return url.length > 1 ? null : unsupported;
  const scp = SCP_LIKE.exec(url);
  if (scp && !optionLike(scp[1]) && !optionLike(scp[2])) return null;
  return unsupported;
}

/** A leading dash, plain or percent-encoded, that ssh or git could take for an option. */
const optionLike = (part: string) => /^(-|%2d)/i.test(part);

function schemeUrlOk(url: string, scheme: string): boolean {
  if (!['file', 'ssh', 'https', 'http'].includes(scheme)) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (scheme === 'file') return parsed.pathname.length > 1;
  return (
    parsed.hostname !== '' &&
    !optionLike(parsed.hostname) &&
    !optionLike(parsed.username) &&
    parsed.pathname.length > 1
  );
}
