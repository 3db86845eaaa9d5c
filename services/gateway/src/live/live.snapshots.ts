/**
 * Work shared by every subscriber of the same change: a dashboard full of people watching one
 * convoy should cost one wait for the read models and one read of the convoy and its history per
 * decision, not one per subscriber. Entries are keyed by town, subject and sequence, so nothing
 * crosses towns, and only the most recent ones are kept; a failed read is forgotten so that a
 * later subscriber tries again.
 */
export class ChangeSnapshots<T> {
  private readonly entries = new Map<string, Promise<T>>();

  constructor(private readonly capacity = 128) {}

  get(key: string, load: () => Promise<T>): Promise<T> {
    const cached = this.entries.get(key);
    if (cached) return cached;
    const loading = load();
    this.entries.set(key, loading);
    loading.catch(() => {
      if (this.entries.get(key) === loading) this.entries.delete(key);
    });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    return loading;
  }

  get size(): number {
    return this.entries.size;
  }
}
