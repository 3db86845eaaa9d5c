/**
 * The effects this process has carried out or has in flight, by key and by convoy: each effect
 * is done once per process, and a finished convoy's keys can be let go as a whole. Nothing here
 * survives a restart, on purpose: a new process redoes every effect, and every effect is idempotent.
 */
export class EffectLedger {
  private readonly convoyOfKey = new Map<string, string>();
  private readonly byConvoy = new Map<string, Set<string>>();
  /** Commands the convoy service refused: tried again only once their convoy has changed. */
  private readonly refused = new Map<string, Set<string>>();

  has(key: string): boolean {
    return this.convoyOfKey.has(key);
  }

  mark(convoyId: string, key: string): void {
    this.convoyOfKey.set(key, convoyId);
    const keys = this.byConvoy.get(convoyId) ?? new Set<string>();
    keys.add(key);
    this.byConvoy.set(convoyId, keys);
  }

  forget(key: string): void {
    const convoyId = this.convoyOfKey.get(key);
    if (convoyId === undefined) return;
    this.convoyOfKey.delete(key);
    this.byConvoy.get(convoyId)?.delete(key);
    this.refused.get(convoyId)?.delete(key);
  }

  /**
   * The refusal was judged on a state this process may not have seen yet; once the convoy's
   * next commit is folded, the planner decides again on that state.
   */
  refuse(convoyId: string, key: string): void {
    if (!this.has(key)) return;
    const keys = this.refused.get(convoyId) ?? new Set<string>();
    keys.add(key);
    this.refused.set(convoyId, keys);
  }

  isRefused(key: string): boolean {
    const convoyId = this.convoyOfKey.get(key);
    return convoyId !== undefined && (this.refused.get(convoyId)?.has(key) ?? false);
  }

  /** Forgets the convoy's refused commands; true when there were any. */
  convoyChanged(convoyId: string): boolean {
    const keys = this.refused.get(convoyId);
    if (!keys || keys.size === 0) return false;
    for (const key of [...keys]) this.forget(key);
    this.refused.delete(convoyId);
    return true;
  }

  convoys(): string[] {
    return [...this.byConvoy.keys()];
  }

  /** Forgets every key of the convoy and returns them. */
  forgetConvoy(convoyId: string): string[] {
    const keys = [...(this.byConvoy.get(convoyId) ?? [])];
    for (const key of keys) this.convoyOfKey.delete(key);
    this.byConvoy.delete(convoyId);
    this.refused.delete(convoyId);
    return keys;
  }
}
