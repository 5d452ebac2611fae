// Where the admin API's fleet comes from: informers in a cluster, a folder of YAML on a laptop, or memory in tests.
import type { Fleet } from '../../../operator/core/index.js';

export interface FleetSource {
  /** Loads the fleet once (or starts watching); resolves when the first full copy is in memory. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The current fleet; cheap, called after each change. */
  fleet(): Fleet;
  /** Called after any change; the listener reads `fleet()` itself. */
  onChange(listener: () => void): void;
  /** Whether the first copy has been loaded. */
  isSynced(): boolean;
}

/** A fixed fleet held in memory: tests, benchmarks, and the embedded default after reading a folder. */
export class MemoryFleetSource implements FleetSource {
  private listeners: Array<() => void> = [];
  private constructor(private current: Fleet) {}

  static create(deps: { fleet: Fleet }): MemoryFleetSource {
    return new MemoryFleetSource(deps.fleet);
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  fleet(): Fleet {
    return this.current;
  }
  isSynced(): boolean {
    return true;
  }
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  replace(fleet: Fleet): void {
    this.current = fleet;
    for (const listener of this.listeners) listener();
  }
}
