import { createHash } from 'node:crypto';
import type { KV } from '@nats-io/kv';
import { ensureKv, REPOSITORY_OWNERS_OPTIONS, type Bus } from '@gastown/bus';
import { RepositoryOwner } from '@gastown/contracts';

/**
 * Which town owns each local repository, in the KV bucket `names.repositoryOwnersBucket`. The
 * first town to claim a repository gets it with a `create`, which the server grants to exactly
 * one writer, so two towns racing for one path cannot both win, whichever runners serve them.
 */
export class RepositoryOwners {
  private bucket: Promise<KV> | undefined;

  constructor(private readonly bus: Bus) {}

  /** The town that owns the repository at this real git directory, if any. */
  async owner(gitDir: string): Promise<RepositoryOwner | undefined> {
    const entry = await (await this.kv()).get(keyOf(gitDir));
    if (!entry || entry.operation !== 'PUT') return undefined;
    return RepositoryOwner.parse(entry.json());
  }

  /** Claims the repository for the town; resolves with the owner afterwards (this town, or the one that was first). */
  async claim(townId: string, gitDir: string): Promise<RepositoryOwner> {
    const kv = await this.kv();
    const value: RepositoryOwner = { townId, gitDir, claimedAt: new Date().toISOString() };
    try {
      await kv.create(keyOf(gitDir), JSON.stringify(value));
      return value;
    } catch (error) {
      const existing = await this.owner(gitDir);
      if (!existing) throw error;
      return existing;
    }
  }

  private kv(): Promise<KV> {
    // Created with the rest of the topology; `create` with the same settings only opens it, so a runner on an older topology works too.
    this.bucket ??= ensureKv(this.bus, this.bus.names.repositoryOwnersBucket, REPOSITORY_OWNERS_OPTIONS)
      .catch((error: unknown) => {
        this.bucket = undefined;
        throw error;
      });
    return this.bucket;
  }
}

/** A KV key allows few characters, and a path holds any: the key is the path's digest. */
function keyOf(gitDir: string): string {
  return `repo.${createHash('sha256').update(gitDir).digest('hex')}`;
}
