// Keeps the node's allowlist current: reads the mounted ConfigMap file and re-reads it when its content changes.
import { readFile } from 'node:fs/promises';
import { parseAllowlist, type Allowlist } from '../../lib/probe-protocol/allowlist.js';
import type { Logger } from '../../lib/log/logger.js';

export class AllowlistSource {
  private allowlist: Allowlist | undefined;
  private text: string | undefined;
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly path: string,
    private readonly logger: Logger,
  ) {}

  /** Loads now, then polls: a ConfigMap volume swaps a symlink, which file watchers miss. */
  static async create(deps: { path: string; logger: Logger; intervalMs?: number }): Promise<AllowlistSource> {
    const source = new AllowlistSource(deps.path, deps.logger);
    await source.reload();
    source.timer = setInterval(() => void source.reload(), deps.intervalMs ?? 2000);
    source.timer.unref();
    return source;
  }

  current(): Allowlist | undefined {
    return this.allowlist;
  }

  /** An unreadable or invalid file empties the allowlist: the sidecar fails closed. */
  async reload(): Promise<void> {
    const text = await readFile(this.path, 'utf8').catch((e: NodeJS.ErrnoException) => `unreadable: ${e.code}`);
    if (text === this.text) return;
    this.text = text;
    try {
      this.allowlist = parseAllowlist(text);
      this.logger.info('allowlist loaded', { event: 'allowlist', node: this.allowlist.node, targets: this.allowlist.targets.length });
    } catch (error) {
      this.allowlist = undefined;
      this.logger.error('allowlist rejected; refusing every probe until it is fixed', { event: 'allowlist', path: this.path, error: String(error).slice(0, 500) });
    }
  }

  close(): void {
    clearInterval(this.timer);
  }
}
