import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAccount, createOperator, createUser, encodeAccount, encodeOperator, encodeUser, fmtCreds, type KeyPair } from '@nats-io/jwt';
import { freePort } from './port.testing';
import { startNatsServer, type NatsServerProcess } from './nats-server.testing';

/**
 * Decentralized authentication as `nsc` sets it up, made at test time: an operator, its system
 * account and one account with JetStream, whose users connect with .creds files. The server
 * trusts the operator and finds the account JWTs preloaded in its configuration (the memory
 * resolver), so nothing outside the test's own nats-server is involved.
 */
export interface NatsOperatorMode {
  /** Server configuration for startNatsServer's `config`: the trusted operator, its system account and the preloaded accounts. */
  readonly config: string;
  /** The text of a .creds file (user JWT and NKey seed) for a new user of the account with JetStream. */
  userCreds(name: string): Promise<string>;
}

/** Limits an account JWT leaves out are zero, not unlimited: its users' JetStream requests would go unanswered. */
const UNLIMITED_CORE = { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 };
/**
 * JetStream is on for an account only when its JWT grants it storage. A finite grant, unlike
 * the server's own defaults, shows in the account's JetStream info that the JWT is in force.
 */
export const NATS_OPERATOR_ACCOUNT_STORAGE_BYTES = 256 * 1024 * 1024;
const JETSTREAM = { mem_storage: NATS_OPERATOR_ACCOUNT_STORAGE_BYTES, disk_storage: NATS_OPERATOR_ACCOUNT_STORAGE_BYTES, streams: -1, consumer: -1 };

export async function natsOperatorMode(): Promise<NatsOperatorMode> {
  const operator = createOperator();
  const system = createAccount();
  const account = createAccount();
  const operatorJwt = await encodeOperator('gastown-test', operator, { system_account: system.getPublicKey() });
  const systemJwt = await encodeAccount('SYS', system, { limits: UNLIMITED_CORE }, { signer: operator });
  const accountJwt = await encodeAccount('gastown', account, { limits: { ...UNLIMITED_CORE, ...JETSTREAM } }, { signer: operator });
  const config = [
    `operator: "${operatorJwt}"`,
    `system_account: "${system.getPublicKey()}"`,
    'resolver: MEMORY',
    'resolver_preload: {',
    `  "${system.getPublicKey()}": "${systemJwt}"`,
    `  "${account.getPublicKey()}": "${accountJwt}"`,
    '}',
    '',
  ].join('\n');
  return { config, userCreds: (name) => userCredsOf(name, account) };
}

/** The text of a .creds file for a user whose account no operator a test server trusts has signed: the server refuses it. */
export function unknownAccountUserCreds(name: string): Promise<string> {
  return userCredsOf(name, createAccount());
}

async function userCredsOf(name: string, account: KeyPair): Promise<string> {
  const user = createUser();
  const jwt = await encodeUser(name, user, account);
  return new TextDecoder().decode(fmtCreds(jwt, user));
}

/** A nats-server of the test's own in operator mode, and .creds files to reach it with. */
export interface OperatorModeNats {
  readonly server: NatsServerProcess;
  /** A user of the account with JetStream. */
  readonly credsFile: string;
  /** A user of an account the server does not know. */
  readonly unknownAccountCredsFile: string;
  /** Ends this server and removes its store and files. */
  stop(): Promise<void>;
}

export async function startOperatorModeNats(user: string): Promise<OperatorModeNats> {
  const dir = await mkdtemp(join(tmpdir(), 'gt-nats-operator-'));
  try {
    const operator = await natsOperatorMode();
    const credsFile = join(dir, `${user}.creds`);
    const unknownAccountCredsFile = join(dir, 'stranger.creds');
    await writeFile(credsFile, await operator.userCreds(user), { mode: 0o600 });
    await writeFile(unknownAccountCredsFile, await unknownAccountUserCreds('stranger'), { mode: 0o600 });
    const server = await startNatsServer({ port: await freePort(), storeDir: dir, config: operator.config });
    return {
      server,
      credsFile,
      unknownAccountCredsFile,
      stop: async () => {
        await server.kill();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
