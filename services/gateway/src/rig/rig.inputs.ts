import { Field, ID, InputType, Int } from '@nestjs/graphql';
import { DEFAULT_TOKEN_USERNAME, rigCredentialsProblems, TEXT_LIMITS, textProblem, type RigCredentialsInput as Credentials } from '@gastown/contracts';
import { AgentKind, AgentStdin } from './rig.model';

@InputType()
export class AgentConfigInput {
  @Field(() => AgentKind) kind!: AgentKind;
  @Field({ nullable: true, description: "Required for PROFILE: the name of one of the operator's agent profiles." })
  profile?: string;
  @Field(() => [String], { nullable: true, description: 'Required for COMMAND: the argument vector, never a shell string.' })
  command?: string[];
  @Field(() => [String], { nullable: true }) passEnv?: string[];
  @Field(() => AgentStdin, { nullable: true }) stdin?: AgentStdin;
}

@InputType()
export class RigCheckInput {
  @Field() name!: string;
  @Field(() => [String]) command!: string[];
}

@InputType({
  description:
    'Every field is optional; the defaults are 4 polecats, the demo agent, 30 min per attempt, no checks, ' +
    'merge batches of up to 8 beads, 2 batches checked at once, 2 check runs at once, no retry of failed checks.',
})
export class RigConfigInput {
  @Field(() => Int, { nullable: true }) maxPolecats?: number;
  @Field(() => AgentConfigInput, { nullable: true }) agent?: AgentConfigInput;
  @Field(() => Int, { nullable: true }) agentTimeoutMs?: number;
  @Field(() => [RigCheckInput], { nullable: true }) checks?: RigCheckInput[];
  @Field(() => Int, { nullable: true }) checkTimeoutMs?: number;
  @Field({ nullable: true }) allowEmptyBeads?: boolean;
  @Field(() => Int, { nullable: true, description: '1 to 32.' }) mergeBatchMax?: number;
  @Field(() => Int, { nullable: true, description: '1 to 4.' }) speculativeDepth?: number;
  @Field(() => Int, { nullable: true, description: '1 to 8.' }) checkConcurrency?: number;
  @Field({ nullable: true }) retryFlakyChecks?: boolean;
}

@InputType({ description: 'A token for an https remote, sent by git as HTTP basic authentication.' })
export class HttpsTokenInput {
  @Field({ nullable: true, description: `Default "${DEFAULT_TOKEN_USERNAME}" (GitHub's for app and fine-grained tokens); not a secret, shown on the rig.` })
  username?: string;
  @Field({ description: 'Never shown again, never in an event or a log in clear.' }) token!: string;
}

@InputType({ description: 'A deploy key for an ssh remote, and the host keys to trust for it.' })
export class SshKeyInput {
  @Field({ description: 'An OpenSSH private key without a passphrase. Never shown again; the rig shows its fingerprint.' })
  privateKey!: string;
  @Field(() => [String], {
    nullable: true,
    description: "known_hosts lines for the remote's host, as `ssh-keyscan <host>` prints them; without them only the operator's known hosts are trusted.",
  })
  knownHosts?: string[];
}

@InputType({ description: "Exactly one of httpsToken or sshKey. Sealed with the operator's key before it leaves the gateway; only the git-runner opens it, for this rig's git." })
export class RigCredentialsInput {
  @Field(() => HttpsTokenInput, { nullable: true }) httpsToken?: HttpsTokenInput;
  @Field(() => SshKeyInput, { nullable: true }) sshKey?: SshKeyInput;
}

@InputType()
export class SetRigCredentialsInput {
  @Field(() => ID) rigId!: string;
  @Field(() => RigCredentialsInput) credentials!: RigCredentialsInput;
  @Field({ nullable: true, description: 'Idempotency key: a retry with the same id changes nothing new.' })
  commandId?: string;
}

@InputType()
export class RegisterRigInput {
  @Field() name!: string;
  @Field() gitUrl!: string;
  @Field() defaultBranch!: string;
  @Field(() => RigConfigInput, { nullable: true }) config?: RigConfigInput;
  @Field(() => RigCredentialsInput, { nullable: true, description: 'For a remote that asks for them; the runner never lends a town its own.' })
  credentials?: RigCredentialsInput;
  @Field({ nullable: true, description: 'Idempotency key: a retry with the same id registers nothing new.' })
  commandId?: string;
}

/**
 * The first text of a registration the convoy service would refuse (a NUL or an invisible
 * character in the name, the branch or the URL), found before the remote is probed or a command
 * sent; the town decider checks again and stays the authority.
 */
export function rigTextProblem(input: Pick<RegisterRigInput, 'name' | 'gitUrl' | 'defaultBranch'>): { argument: string; message: string } | null {
  const fields = [
    ['name', input.name, TEXT_LIMITS.name],
    ['gitUrl', input.gitUrl, Infinity],
    ['defaultBranch', input.defaultBranch, TEXT_LIMITS.branch],
  ] as const;
  for (const [argument, value, max] of fields) {
    const problem = textProblem(argument, value, 'line', max);
    if (problem) return { argument, message: problem.message };
  }
  return null;
}

/**
 * The credentials as the contracts take them, or the first problem on the path the client wrote
 * (`credentials.httpsToken.token`); messages never hold the secret.
 */
export function rigCredentials(input: RigCredentialsInput): { credentials: Credentials } | { argument: string; message: string } {
  const given = [input.httpsToken ? 'httpsToken' : null, input.sshKey ? 'sshKey' : null].filter((kind) => kind !== null);
  if (given.length !== 1) return { argument: 'credentials', message: 'credentials must hold exactly one of httpsToken or sshKey' };
  const [field] = given;
  const credentials: Credentials = input.httpsToken
    ? { kind: 'https', token: input.httpsToken.token, ...(input.httpsToken.username != null ? { username: input.httpsToken.username } : {}) }
    : { kind: 'ssh', privateKey: input.sshKey?.privateKey ?? '', knownHosts: input.sshKey?.knownHosts ?? [] };
  const [problem] = rigCredentialsProblems(credentials);
  if (problem) return { argument: ['credentials', field, ...problem.path].join('.'), message: `credentials.${field}.${problem.message}` };
  return { credentials };
}
