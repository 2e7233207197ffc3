// Who gets the next free hash thread. Waiting checks queue per tenant and, within a tenant, per
// source; tenants take turns, and so do the sources of a tenant, so that a flood from one source
// or one tenant waits behind itself and never in front of anyone else. A tenant's queue is
// bounded: beyond it a check is refused at once ('busy'), which costs nothing.

/** Refused: the tenant already has as many checks waiting as it may. */
export const BUSY = Symbol('busy');

/** Queues by key, served in turn: a key that was served moves behind the others. */
class Rotation<T> {
  private readonly queues = new Map<string, T[]>();

  push(key: string, item: T): void {
    const q = this.queues.get(key);
    if (q) q.push(item);
    else this.queues.set(key, [item]);
  }

  /** The first item of the key whose turn it is. */
  shift(): T | undefined {
    const next = this.queues.entries().next();
    if (next.done) return undefined;
    const [key, q] = next.value;
    const item = q.shift();
    // Deleting and setting again puts the key last in the Map's order: its turn is over.
    this.queues.delete(key);
    if (q.length > 0) this.queues.set(key, q);
    return item;
  }

  get empty(): boolean {
    return this.queues.size === 0;
  }
}

export class FairQueue {
  private running = 0;
  /** Tenants with waiting checks, in the order of their turns; each with its sources' queues. */
  private readonly turns = new Map<string, Rotation<() => void>>();
  private readonly waiting = new Map<string, number>();

  constructor(
    private readonly slots: number,
    private readonly maxWaitingPerTenant: number,
  ) {}

  /**
   * Runs `task` when a slot is free and it is this tenant's (and source's) turn. `bounded: false`
   * is for an administrator's own work (history checks, imports): it waits but is never refused.
   */
  async run<T>(tenant: string, source: string, task: () => Promise<T>, o: { bounded: boolean } = { bounded: true }): Promise<T | typeof BUSY> {
    if (this.running >= this.slots) {
      const waiting = this.waiting.get(tenant) ?? 0;
      if (o.bounded && waiting >= this.maxWaitingPerTenant) return BUSY;
      this.waiting.set(tenant, waiting + 1);
      await new Promise<void>((start) => this.enqueue(tenant, source, start));
    } else {
      this.running++;
    }
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  /** Checks waiting in a tenant's queue now. */
  waitingIn(tenant: string): number {
    return this.waiting.get(tenant) ?? 0;
  }

  private enqueue(tenant: string, source: string, start: () => void): void {
    let bySource = this.turns.get(tenant);
    if (!bySource) {
      bySource = new Rotation();
      this.turns.set(tenant, bySource);
    }
    bySource.push(source, start);
  }

  /** Hands the slot to the next tenant's next source's check, or frees it. */
  private release(): void {
    const next = this.turns.entries().next();
    if (next.done) {
      this.running--;
      return;
    }
    const [tenant, bySource] = next.value;
    const start = bySource.shift()!;
    // As in Rotation: the tenant that was served goes last.
    this.turns.delete(tenant);
    if (!bySource.empty) this.turns.set(tenant, bySource);
    const left = (this.waiting.get(tenant) ?? 1) - 1;
    if (left > 0) this.waiting.set(tenant, left);
    else this.waiting.delete(tenant);
    start();
  }
}
