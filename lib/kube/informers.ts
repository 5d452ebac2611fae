// Informers that never stay down: a watch error restarts the list-and-watch after a backoff.
import { makeInformer, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';

/** The one thing an informer says: that its watch failed and restarts. */
export interface KubeLog {
  warn(message: string, fields?: Record<string, unknown>): void;
}

export type ChangeType = 'add' | 'update' | 'delete';

/**
 * Drops managedFields, which nothing here reads and which are often larger than the object itself: the cache of a
 * national fleet is several hundred megabytes smaller without them. The cache holds these very objects.
 * The field is set to undefined, not deleted: a delete in the middle of an object's keys (the API server writes
 * them in alphabetical order) turns it into a dictionary, larger and slower to read, for as long as the cache holds it.
 */
function withoutManagedFields<L extends { items: readonly KubernetesObject[] }>(list: L): L {
  for (const item of list.items) if (item.metadata?.managedFields) (item.metadata as { managedFields?: unknown }).managedFields = undefined;
  return list;
}

export class ResourceInformer<T extends KubernetesObject> {
  private readonly informer;
  private synced = false;
  private stopped = false;
  private restarts = 0;
  /** An error of the initial list: start() must not report a cache that never filled as synced. */
  private startError: unknown;

  constructor(
    kc: KubeConfig,
    readonly path: string,
    list: () => Promise<KubernetesListObject<T>>,
    onChange: (type: ChangeType, object: T) => void,
    private readonly log: KubeLog,
    labelSelector?: string,
  ) {
    this.informer = makeInformer<T>(kc, path, async () => withoutManagedFields(await list()), labelSelector);
    for (const type of ['add', 'update', 'delete'] as const) {
      this.informer.on(type, (object) => {
        withoutManagedFields({ items: [object] });
        onChange(type, object);
      });
    }
    this.informer.on('error', (error) => {
      if (this.stopped) return;
      if (!this.synced) {
        this.startError = error;
        return;
      }
      const delay = Math.min(30_000, 500 * 2 ** this.restarts++);
      this.log.warn('watch failed, restarting', { resource: path, retryInMs: delay, error: String(error) });
      setTimeout(() => void this.start().catch(() => undefined), delay).unref();
    });
  }

  /** Lists and starts watching; resolves only once the cache holds a complete list, retrying until then. */
  async start(attempts = 10): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      this.startError = undefined;
      await this.informer.start();
      if (this.startError === undefined) {
        this.synced = true;
        this.restarts = 0;
        return;
      }
      if (this.stopped || attempt >= attempts) throw this.startError;
      this.log.warn('initial list failed, retrying', { resource: this.path, attempt, error: String(this.startError) });
      await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 250 * 2 ** attempt)));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.informer.stop();
  }

  isSynced(): boolean {
    return this.synced;
  }

  list(): ReadonlyArray<T> {
    return this.informer.list();
  }

  get(name: string, namespace?: string): T | undefined {
    return this.informer.get(name, namespace);
  }
}

type Page<T extends KubernetesObject> = KubernetesListObject<T>;

/** Typed lists name the token `_continue`; custom-object lists come as raw JSON with `continue`. */
const continueOf = (meta: unknown): string | undefined => {
  const m = (meta ?? {}) as { _continue?: string; continue?: string };
  return m._continue || m.continue || undefined;
};

/**
 * Lists in pages of `limit`, so a fleet of tens of thousands of objects never arrives as one giant response;
 * the pages form one consistent snapshot, whose resourceVersion the watch continues from. `onPage` sees each page's
 * objects (those the cache will hold) while the next page is on its way.
 */
export function paginated<T extends KubernetesObject>(
  listPage: (options: { limit: number; _continue?: string }) => Promise<Page<T>>,
  limit = 5000,
  onPage?: (items: readonly T[]) => void,
): () => Promise<Page<T>> {
  return async () => {
    const first = await listPage({ limit });
    const items: T[] = [];
    for (let page: Page<T> | undefined = first; page; ) {
      const token = continueOf(page.metadata);
      // The next page is asked for before this one is handed on: the API server encodes it meanwhile.
      const next = token ? listPage({ limit, _continue: token }) : undefined;
      next?.catch(() => undefined);
      // Its request goes out now: a list's credentials are applied in promise steps that would otherwise wait for
      // onPage, and the server would encode nothing meanwhile.
      if (next) await new Promise((resolve) => setImmediate(resolve));
      // Plain lists come without managedFields (`cutManagedFields`); a typed list's lose them here, before the next
      // page arrives: they die young instead of being copied and promoted.
      items.push(...withoutManagedFields(page).items);
      onPage?.(page.items);
      page = await next;
    }
    return { ...first, items } as Page<T>;
  };
}
