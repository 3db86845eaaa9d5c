import {
  DEFAULT_RIG_CONFIG,
  type AgentPolicy,
  DEFAULT_TOWN_LIMITS,
  TOWN_LIMIT_SETTINGS,
  type TownLimits,
  WEBHOOK_EVENT_TYPES,
  SealedSecret,
  type StoredSecret,
  type GastownEvent,
  TEXT_LIMITS,
  textProblem,
  type NewEvent,
  type RigConfig,
  RigCredentials,
  type TownCommand,
  type WebhookEventType,
} from '@gastown/contracts';
import type { Decision } from '../decider/decider.decision';
import { DomainError, rejectInput, type InputError } from '../decider/decider.error';
import { counted } from '../convoy/convoy.messages';
import { isValidRefName } from '../convoy/convoy.naming';
import { agentProblems } from './town.agent';

export interface Rig {
  rigId: string;
  name: string;
  gitUrl: string;
  defaultBranch: string;
  config: RigConfig;
  /** Sealed; null when the remote is reached without any. */
  credentials: RigCredentials | null;
}

export interface Webhook {
  webhookId: string;
  url: string;
  events: WebhookEventType[];
  secret: StoredSecret;
}

export interface TownState {
  exists: boolean;
  townId: string | null;
  name: string | null;
  rigs: Map<string, Rig>;
  webhooks: Map<string, Webhook>;
  /** Ids of removed webhooks: an id is never reused, so a delivery log entry names one webhook only. */
  removedWebhooks: Set<string>;
  handledCommands: Set<string>;
}

export interface TownDecideContext {
  now: string;
  /** The operator's agent profiles and rules; the multi-tenant default when absent. */
  agents?: AgentPolicy;
  /** The operator's rig and webhook limits; DEFAULT_TOWN_LIMITS when absent. */
  limits?: Pick<TownLimits, 'maxRigsPerTown' | 'maxWebhooksPerTown'>;
}

const NAME_LENGTH = TEXT_LIMITS.name;
const GIT_URL_LENGTH = 2000;
const BRANCH_LENGTH = TEXT_LIMITS.branch;
const TOKEN_HASH = /^[0-9a-f]{64}$/;
const WEBHOOK_URL_LENGTH = 2000;

export function initialTownState(): TownState {
  return {
    exists: false,
    townId: null,
    name: null,
    rigs: new Map(),
    webhooks: new Map(),
    removedWebhooks: new Set(),
    handledCommands: new Set(),
  };
}

/** Returns a new state; a town holds few rigs, so copying stays cheap. */
export function evolveTown(state: TownState, event: GastownEvent): TownState {
  const handledCommands = new Set(state.handledCommands).add(event.commandId);
  switch (event.type) {
    case 'TownCreated':
      return { ...state, exists: true, townId: event.townId, name: event.data.name, handledCommands };
    case 'RigRegistered':
      return { ...state, rigs: new Map(state.rigs).set(event.data.rigId, { ...event.data, credentials: null }), handledCommands };
    case 'RigCredentialsSet':
    case 'RigCredentialsCleared': {
      const rig = state.rigs.get(event.data.rigId);
      if (!rig) return { ...state, handledCommands };
      const credentials = event.type === 'RigCredentialsSet' ? event.data.credentials : null;
      return { ...state, rigs: new Map(state.rigs).set(rig.rigId, { ...rig, credentials }), handledCommands };
    }
    case 'WebhookAdded':
      return { ...state, webhooks: new Map(state.webhooks).set(event.data.webhookId, { ...event.data }), handledCommands };
    case 'WebhookRemoved': {
      const webhooks = new Map(state.webhooks);
      webhooks.delete(event.data.webhookId);
      return { ...state, webhooks, removedWebhooks: new Set(state.removedWebhooks).add(event.data.webhookId), handledCommands };
    }
    default:
      return { ...state, handledCommands };
  }
}

export function decideTown(command: TownCommand, state: TownState, ctx?: TownDecideContext): Decision {
  const duplicate = state.handledCommands.has(command.commandId);
  switch (command.type) {
    case 'CreateTown':
      return decided(duplicate ? [] : createTown(command, state), { townId: command.townId }, duplicate);
    case 'RegisterRig':
      return decided(duplicate ? [] : registerRig(command, state, ctx), { townId: command.townId, rigId: command.data.rigId }, duplicate);
    case 'SetRigCredentials':
      return decided(duplicate ? [] : setRigCredentials(command, state), { townId: command.townId, rigId: command.data.rigId }, duplicate);
    case 'ClearRigCredentials':
      return decided(duplicate ? [] : clearRigCredentials(command, state), { townId: command.townId, rigId: command.data.rigId }, duplicate);
    case 'AddWebhook': {
      const events = duplicate ? [] : addWebhook(command, state, ctx?.limits?.maxWebhooksPerTown ?? DEFAULT_TOWN_LIMITS.maxWebhooksPerTown);
      const added = events.length > 0 ? command.data : state.webhooks.get(command.data.webhookId);
      // The caller shows the secret once; a repeat of the same command must show the one stored.
      const result = { townId: command.townId, webhookId: command.data.webhookId, ...(added ? { secret: added.secret } : {}) };
      return decided(events, result, duplicate);
    }
    case 'RemoveWebhook':
      return decided(duplicate ? [] : removeWebhook(command, state), { townId: command.townId, webhookId: command.data.webhookId }, duplicate);
  }
}

function decided(events: NewEvent[], result: Record<string, unknown>, duplicate: boolean): Decision {
  return { events, result, duplicate };
}

function createTown(command: Extract<TownCommand, { type: 'CreateTown' }>, state: TownState): NewEvent[] {
  if (state.exists) throw DomainError.conflict(`town ${command.townId} already exists`, { townId: command.townId });
  const name = command.data.name.trim();
  const errors: InputError[] = [];
  const nameProblem = lineProblem('name', command.data.name, NAME_LENGTH);
  if (nameProblem) errors.push({ path: ['name'], value: command.data.name, message: nameProblem });
  if (!TOKEN_HASH.test(command.data.tokenHash)) {
    errors.push({ path: ['tokenHash'], value: null, message: 'tokenHash must be 64 lower-case hex characters (a sha256)' });
  }
  if (errors.length > 0) throw rejectInput(errors);
  return [{ type: 'TownCreated', data: { name, tokenHash: command.data.tokenHash } }];
}

function registerRig(command: Extract<TownCommand, { type: 'RegisterRig' }>, state: TownState, ctx?: TownDecideContext): NewEvent[] {
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
  const nameProblem = lineProblem('name', command.data.name, NAME_LENGTH);
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
  const branchText = textProblem('defaultBranch', defaultBranch, 'line', BRANCH_LENGTH);
  if (defaultBranch.length > BRANCH_LENGTH) {
    errors.push({
      path: ['defaultBranch'],
      value: defaultBranch.length,
      message: `defaultBranch must be at most ${BRANCH_LENGTH} characters (it has ${defaultBranch.length})`,
    });
  } else if (branchText) {
    errors.push({ path: ['defaultBranch'], value: branchText.codePoint, message: branchText.message });
  } else if (!isValidRefName(defaultBranch) || defaultBranch.startsWith('-')) {
    errors.push({
      path: ['defaultBranch'],
      value: defaultBranch,
      message: `defaultBranch ${JSON.stringify(defaultBranch)} is not a valid branch name`,
    });
  }
  errors.push(...agentProblems(config, ctx?.agents));
  config.checks.forEach((check, i) => {
    if (check.command[0].startsWith('-')) {
      errors.push({ path: ['config', 'checks', i, 'command', 0], value: check.command[0], message: `config.checks[${i}] ("${check.name}") must start with a program, not an option` });
    }
  });
  const credentials = command.data.credentials === undefined ? null : RigCredentials.safeParse(command.data.credentials);
  if (credentials && !credentials.success) errors.push(unsealedCredentials());
  if (errors.length > 0) throw rejectInput(errors);
  const limit = ctx?.limits?.maxRigsPerTown ?? DEFAULT_TOWN_LIMITS.maxRigsPerTown;
  // Rigs cannot be removed yet: only the operator can make room.
  if (state.rigs.size >= limit) throw limitReached(command.townId, state.rigs.size, 'rig', limit, `ask the operator to raise ${TOWN_LIMIT_SETTINGS.maxRigsPerTown}`);
  const registeredEvent: NewEvent = { type: 'RigRegistered', data: { rigId, name, gitUrl, defaultBranch, config } };
  // Its own event, so that rotating or removing the credentials later is the same event again, and RigRegistered keeps its shape.
  return credentials?.success ? [registeredEvent, { type: 'RigCredentialsSet', data: { rigId, credentials: credentials.data } }] : [registeredEvent];
}

/** The value is left out: even sealed, a credential is nothing to echo. */
function unsealedCredentials(): InputError {
  return {
    path: ['credentials'],
    value: null,
    message: "credentials must be sealed with the operator's key (GASTOWN_SECRETS_KEY) for this rig: a clear credential is never stored",
  };
}

function registeredRig(command: Extract<TownCommand, { type: 'SetRigCredentials' | 'ClearRigCredentials' }>, state: TownState): Rig {
  if (!state.exists) throw DomainError.notFound(`town ${command.townId} does not exist`, { townId: command.townId });
  const rig = state.rigs.get(command.data.rigId);
  if (!rig) throw DomainError.notFound(`rig ${command.data.rigId} not found in town ${command.townId}`, { rigId: command.data.rigId });
  return rig;
}

/** Gives the rig credentials or replaces the ones it has (rotation): the runner uses the new ones from its next command on. */
function setRigCredentials(command: Extract<TownCommand, { type: 'SetRigCredentials' }>, state: TownState): NewEvent[] {
  const rig = registeredRig(command, state);
  const credentials = RigCredentials.safeParse(command.data.credentials);
  if (!credentials.success) throw rejectInput([unsealedCredentials()]);
  return [{ type: 'RigCredentialsSet', data: { rigId: rig.rigId, credentials: credentials.data } }];
}

/** Removing credentials a rig does not have changes nothing. */
function clearRigCredentials(command: Extract<TownCommand, { type: 'ClearRigCredentials' }>, state: TownState): NewEvent[] {
  const rig = registeredRig(command, state);
  return rig.credentials === null ? [] : [{ type: 'RigCredentialsCleared', data: { rigId: rig.rigId } }];
}

function addWebhook(command: Extract<TownCommand, { type: 'AddWebhook' }>, state: TownState, limit: number): NewEvent[] {
  if (!state.exists) throw DomainError.notFound(`town ${command.townId} does not exist`, { townId: command.townId });
  const { webhookId } = command.data;
  const sealed = SealedSecret.safeParse(command.data.secret);
  const url = command.data.url.trim();
  const events = WEBHOOK_EVENT_TYPES.filter((type) => command.data.events.includes(type));

  const existing = state.webhooks.get(webhookId);
  if (existing) {
    // Adding the same webhook again is a retry, not a change.
    const same = existing.url === url && JSON.stringify(existing.secret) === JSON.stringify(command.data.secret) && existing.events.join() === events.join();
    if (same) return [];
    throw DomainError.conflict(`webhook ${webhookId} already exists with other settings`, { webhookId });
  }
  if (state.removedWebhooks.has(webhookId)) {
    throw DomainError.conflict(`webhook ${webhookId} was removed; add a new webhook instead`, { webhookId });
  }

  const errors: InputError[] = [];
  const urlProblem = webhookUrlProblem(url);
  // The value is left out of details: receiver URLs often carry a token of their own.
  if (urlProblem) errors.push({ path: ['url'], value: null, message: urlProblem });
  else {
    const taken = [...state.webhooks.values()].find((w) => w.url === url);
    if (taken) errors.push({ path: ['url'], value: null, message: `url is already used by webhook ${taken.webhookId} of this town` });
  }
  if (command.data.events.length === 0) {
    errors.push({ path: ['events'], value: [], message: `events must name at least one of ${WEBHOOK_EVENT_TYPES.join(', ')}` });
  }
  command.data.events.forEach((type, i) => {
    if (!(WEBHOOK_EVENT_TYPES as readonly string[]).includes(type)) {
      errors.push({
        path: ['events', i],
        value: type,
        message: `events[${i}] ${JSON.stringify(type)} is not a webhook event: use ${WEBHOOK_EVENT_TYPES.join(', ')}`,
      });
    }
  });
  if (!sealed.success) {
    errors.push({ path: ['secret'], value: null, message: "secret must be sealed with the operator's key (GASTOWN_SECRETS_KEY): a clear secret is never stored" });
  }
  if (errors.length > 0 || !sealed.success) throw rejectInput(errors);
  if (state.webhooks.size >= limit) throw limitReached(command.townId, state.webhooks.size, 'webhook', limit, 'remove one before adding another');
  return [{ type: 'WebhookAdded', data: { webhookId, url, events, secret: sealed.data } }];
}

/** The town is full, not the input wrong: a conflict that names the count, the limit and the way out. */
function limitReached(townId: string, count: number, what: 'rig' | 'webhook', limit: number, remedy: string): DomainError {
  return DomainError.conflict(`town ${townId} already has ${counted(count, what)} (limit ${limit}): ${remedy}`, { townId, count, limit });
}

function removeWebhook(command: Extract<TownCommand, { type: 'RemoveWebhook' }>, state: TownState): NewEvent[] {
  const { webhookId } = command.data;
  if (!state.webhooks.has(webhookId)) {
    throw DomainError.notFound(`webhook ${webhookId} not found in town ${command.townId}`, { webhookId });
  }
  return [{ type: 'WebhookRemoved', data: { webhookId } }];
}

/** Why the deliverer should not POST to this URL, or null; the URL itself is never echoed. */
function webhookUrlProblem(url: string): string | null {
  if (url === '') return 'url must not be empty';
  if (url.length > WEBHOOK_URL_LENGTH) return `url must be at most ${WEBHOOK_URL_LENGTH} characters (it has ${url.length})`;
  if (hasSpaceOrControl(url)) return 'url must not contain spaces or control characters';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'url must be an absolute http:// or https:// URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return `url must use http:// or https:// (it uses ${parsed.protocol.slice(0, -1)})`;
  }
  if (parsed.username !== '' || parsed.password !== '') {
    return 'url must not contain credentials (user:password@): receivers verify the X-Gastown-Signature header instead';
  }
  if (parsed.hostname === '') return 'url must name a host';
  return null;
}

/**
 * Names are shown, compared and stored in PostgreSQL: one line of visible characters, checked
 * as sent so the position points into what the user typed.
 */
function lineProblem(field: string, raw: string, max: number): string | null {
  const problem = textProblem(field, raw, 'line', max);
  if (problem) return problem.message;
  return raw.trim() === '' ? `${field} must not be empty` : null;
}

const SUPPORTED =
  'use an absolute path, file://, ssh://, https://, http:// or user@host:path';
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
/** `user:secret@` right after the scheme, or at the start of an scp-like address. */
const PASSWORD_IN_URL = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#@]*:[^/?#@]*@/;
const PASSWORD_IN_SCP = /^[^/@:\s]+:[^/@\s]*@/;
const SCP_LIKE = /^([^@/:\s]+)@([^@/:\s]+):(.+)$/;
/** Whitespace, or anything the one-line text rule refuses (controls, invisible characters, lone surrogates). */
const hasSpaceOrControl = (text: string) => /\s/.test(text) || textProblem('url', text, 'line', Infinity) !== null;

/**
 * Why git should not be pointed at this URL, or null. Passwords are refused without echoing
 * them; leading dashes are refused because git would read them as options (`-oProxyCommand=…`).
 */
function gitUrlProblem(url: string): string | null {
  if (url === '') return 'gitUrl must not be empty';
  if (PASSWORD_IN_URL.test(url) || PASSWORD_IN_SCP.test(url)) {
    return 'gitUrl must not contain a password: register the URL without it and give the token or deploy key as the rig\'s credentials';
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
