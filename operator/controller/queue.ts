// A keyed work queue: repeats of a key merge, failures retry with exponential backoff, one run per key at a time.

/** An error that retrying cannot fix (a bad spec): the key waits until its object changes. */
export class TerminalError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export interface QueueOptions {
  concurrency: number;
  baseDelayMs: number;
  maxDelayMs: number;
  onError?: (key: string, error: unknown, retryInMs: number | undefined) => void;
}

export class WorkQueue {
  private readonly pending: string[] = [];
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  /** Keys added again while running: they run once more after. */
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private active = 0;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];
  private readonly runWaiters = new Map<string, Array<() => void>>();

  constructor(
    private readonly handler: (key: string) => Promise<void>,
    private readonly options: QueueOptions,
  ) {}

  add(key: string): void {
    if (this.stopped) return;
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.pending.push(key);
    this.pump();
  }

  addAfter(key: string, delayMs: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.timers.add(timer);
  }

  depth(): number {
    return this.pending.length + this.running.size;
  }

  /** Resolves when nothing is pending or running (retries scheduled for later do not count). */
  idle(): Promise<void> {
    if (this.depth() === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Resolves once each key has finished a run; at once for keys neither waiting nor running. */
  processed(keys: Iterable<string>): Promise<void> {
    const waits: Array<Promise<void>> = [];
    for (const key of keys) {
      if (!this.queued.has(key) && !this.running.has(key)) continue;
      waits.push(new Promise((resolve) => this.runWaiters.set(key, [...(this.runWaiters.get(key) ?? []), resolve])));
    }
    return Promise.all(waits).then(() => undefined);
  }

  stop(): void {
    this.stopped = true;
    for (const waiters of this.runWaiters.values()) for (const w of waiters) w();
    this.runWaiters.clear();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.pending.length = 0;
    this.queued.clear();
  }

  private pump(): void {
    while (!this.stopped && this.active < this.options.concurrency && this.pending.length > 0) {
      const key = this.pending.shift()!;
      this.queued.delete(key);
      this.running.add(key);
      this.active++;
      void this.process(key);
    }
    if (this.depth() === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private async process(key: string): Promise<void> {
    try {
      await this.handler(key);
      this.failures.delete(key);
    } catch (error) {
      if (error instanceof TerminalError) {
        this.failures.delete(key);
        this.options.onError?.(key, error, undefined);
      } else {
        const n = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, n);
        const delay = Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** (n - 1));
        this.options.onError?.(key, error, delay);
        this.addAfter(key, delay);
      }
    } finally {
      this.running.delete(key);
      this.active--;
      const waiters = this.runWaiters.get(key);
      this.runWaiters.delete(key);
      for (const w of waiters ?? []) w();
      if (this.dirty.delete(key)) this.add(key);
      this.pump();
    }
  }
}
