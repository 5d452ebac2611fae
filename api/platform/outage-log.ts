// One warning when a dependency becomes unavailable and one line when it is back, however many requests fail between.
import type { Logger } from '../../lib/log/logger.js';

export interface OutageLogDeps {
  logger: Logger;
  /** What is unavailable, e.g. "database". */
  dependency: string;
  now?: () => number;
}

export class OutageLog {
  private since: number | undefined;
  private failures = 0;

  private constructor(
    private readonly logger: Logger,
    private readonly dependency: string,
    private readonly now: () => number,
  ) {}

  static create(deps: OutageLogDeps): OutageLog {
    return new OutageLog(deps.logger, deps.dependency, deps.now ?? Date.now);
  }

  get down(): boolean {
    return this.since !== undefined;
  }

  /** A failed call; only the first of an episode is logged, with its error. */
  failed(error: unknown, context: Record<string, unknown> = {}): void {
    this.failures += 1;
    if (this.since !== undefined) return;
    this.since = this.now();
    this.logger.warn(`${this.dependency} unavailable; answering 503 until it is back`, { ...context, error });
  }

  /** A call that worked; ends an episode if one was open. */
  succeeded(): void {
    if (this.since === undefined) return;
    this.logger.info(`${this.dependency} available again`, {
      outageMs: this.now() - this.since,
      failedCalls: this.failures,
    });
    this.since = undefined;
    this.failures = 0;
  }
}
