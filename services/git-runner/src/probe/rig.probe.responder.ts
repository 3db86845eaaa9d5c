import { mkdirSync } from 'node:fs';
import { Logger } from '@nestjs/common';
import { serveCommands, type Bus, type CommandServer } from '@gastown/bus';
import { openRigCredentials, RigProbeReply, RigProbeRequest, SecretUnavailableError, type SecretKeyring } from '@gastown/contracts';
import { displayUrl, GitCommandError, GitProcess, urlSecrets } from '../git/git.process';
import { RepositoryRefusedError, type RepositoryPolicy } from '../rigs/repository.policy';
import { credentialFailure, type RigCredentialFiles } from '../rigs/rig.credentials';

/** Every runner answers probes; one of them takes each request. */
export const RIG_PROBE_QUEUE = 'git-runner';
/** The gateway's own deadline is longer, so a slow remote gets this answer rather than a timeout. */
export const LS_REMOTE_DEADLINE_MS = 15_000;
const PROBES_AT_ONCE = 8;

/** What git names a branch: no option, revision syntax or space (see git check-ref-format); control characters are checked apart. */
const BRANCH = /^(?!-)(?!.*(?:\.\.|@\{|\/\/|\/\.|\.lock(?:\/|$)))[^\s~^:?*[\\]+(?<![./])$/;

function validBranch(name: string): boolean {
  return BRANCH.test(name) && ![...name].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
}

/** What the probe needs to try a rig's offered credentials: the key that opens them and where a deploy key goes. */
export interface ProbeCredentials {
  secrets: SecretKeyring;
  files: RigCredentialFiles;
}

/**
 * Answers the gateway's question before a rig is registered (or its credentials replaced): may
 * this town use this remote, can the runner reach it with the rig's offered credentials and
 * none of its own, and does it have the default branch? The first town whose probe of a local
 * repository succeeds owns it.
 */
export class RigProbeResponder {
  private readonly logger = new Logger('git-runner');
  private server: CommandServer | undefined;

  constructor(
    private readonly bus: Bus,
    private readonly policy: RepositoryPolicy,
    /** A directory that is no repository: ls-remote needs a working directory. */
    private readonly scratchDir: string,
    private readonly credentials: ProbeCredentials,
  ) {}

  start(): void {
    mkdirSync(this.scratchDir, { recursive: true });
    this.server = serveCommands(this.bus, this.bus.names.rigProbe, RIG_PROBE_QUEUE, (payload) => this.answer(payload), {
      concurrency: PROBES_AT_ONCE,
    });
  }

  async stop(): Promise<void> {
    await this.server?.stop();
  }

  /** Opened for the town's rig the gateway sealed them for; null when this runner's keys cannot. */
  private open(townId: string, rigId: string, sealed: NonNullable<RigProbeRequest['credentials']>) {
    try {
      return openRigCredentials(this.credentials.secrets, townId, rigId, sealed);
    } catch (error) {
      if (error instanceof SecretUnavailableError) {
        this.logger.warn(`credentials offered for rig ${rigId} of town ${townId} do not open: ${error.message}`);
        return null;
      }
      throw error;
    }
  }

  async answer(payload: unknown): Promise<RigProbeReply> {
    const request = RigProbeRequest.safeParse(payload);
    if (!request.success) {
      return { ok: false, field: 'gitUrl', message: `the probe request is malformed: ${request.error.issues[0]?.message ?? 'unknown'}` };
    }
    const { townId, rigId, gitUrl, defaultBranch, credentials: sealed } = request.data;
    if (!validBranch(defaultBranch)) {
      return { ok: false, field: 'defaultBranch', message: `defaultBranch ${JSON.stringify(defaultBranch)} is not a valid branch name` };
    }
    try {
      const offered = sealed && rigId ? this.open(townId, rigId, sealed) : undefined;
      if (offered === null) {
        return { ok: false, field: 'credentials', message: "credentials could not be opened with this runner's GASTOWN_SECRETS_KEY: ask the operator" };
      }
      const checked = await this.policy.check(townId, gitUrl);
      const git = new GitProcess({
        secrets: urlSecrets(gitUrl),
        ambientCredentials: this.policy.ambientCredentials,
        connection: () => this.credentials.files.connection(gitUrl, checked, offered),
        silenceLimitMs: LS_REMOTE_DEADLINE_MS,
      });
      let heads: string;
      try {
        heads = await git.run(this.scratchDir, ['ls-remote', '--heads', '--', gitUrl, `refs/heads/${defaultBranch}`]);
      } catch (error) {
        if (!(error instanceof GitCommandError)) throw error;
        // The error is already redacted of the offered credentials (GitProcess applies the connection's secrets).
        const refused = error.exitCode === -1 ? undefined : credentialFailure(gitUrl, error.stderr, offered !== undefined);
        if (refused) return { ok: false, field: offered ? 'credentials' : 'gitUrl', message: refused };
        const why = error.exitCode === -1 ? `no answer within ${LS_REMOTE_DEADLINE_MS} ms` : firstLine(git.redact(error.stderr));
        return { ok: false, field: 'gitUrl', message: `gitUrl ${displayUrl(gitUrl)} could not be read: ${why}` };
      }
      const found = heads.split('\n').some((line) => line.endsWith(`\trefs/heads/${defaultBranch}`));
      if (!found) {
        return { ok: false, field: 'defaultBranch', message: `gitUrl ${displayUrl(gitUrl)} has no branch ${defaultBranch}` };
      }
      await this.policy.claim(townId, gitUrl, checked);
      return { ok: true };
    } catch (error) {
      if (error instanceof RepositoryRefusedError) {
        this.logger.log(`refused a remote for town ${townId}: ${error.message}`);
        return { ok: false, field: error.field, message: error.message };
      }
      throw error;
    }
  }
}

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '' && !l.startsWith('hint:'))?.replace(/^fatal: /, '') ?? 'git failed';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
