// The informer wrapper against the real API server: a cache is reported synced only once it holds a full list.
import type { Agent, RequestOptions } from 'node:https';
import { ApiException, CoreV1Api, type V1ConfigMap, type V1Secret } from '@kubernetes/client-node';
import { eventually, testKubeConfig, testNamespace } from '../../test/harness/index.js';
import { ResourceInformer, paginated } from './informers.js';
import { sharedAgent } from './keep-alive.js';
import { plainListPage } from './plain-list.js';
import { quietLogger } from '../../lib/log/logger.js';

const quiet = quietLogger();

describe('ResourceInformer', () => {
  it('retries a failed initial list instead of starting with an empty cache', async () => {
    const kc = testKubeConfig();
    const ns = await testNamespace(kc);
    const core = kc.makeApiClient(CoreV1Api);
    for (const name of ['a', 'b', 'c']) await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name }, data: { k: name } } });
    let calls = 0;
    const informer = new ResourceInformer<V1ConfigMap>(
      kc,
      `/api/v1/namespaces/${ns}/configmaps`,
      async () => {
        // The first list fails the way a timed-out request does; the second goes to the server.
        if (++calls === 1) throw new Error('socket hang up');
        return core.listNamespacedConfigMap({ namespace: ns });
      },
      () => undefined,
      quiet,
    );
    expect(informer.isSynced()).toBe(false);
    await informer.start();
    try {
      expect(calls).toBe(2);
      expect(informer.isSynced()).toBe(true);
      expect(informer.list().map((c) => c.metadata?.name).sort()).toEqual(['a', 'b', 'c']);
    } finally {
      await informer.stop();
    }
  });

  it('gives up after its attempts and says why', async () => {
    const informer = new ResourceInformer<V1ConfigMap>(testKubeConfig(), '/api/v1/namespaces/none/configmaps', async () => {
      throw new Error('forbidden');
    }, () => undefined, quiet);
    await expect(informer.start(2)).rejects.toThrow('forbidden');
    expect(informer.isSynced()).toBe(false);
    await informer.stop();
  });

  it('lists in pages and still holds every object', async () => {
    const kc = testKubeConfig();
    const ns = await testNamespace(kc);
    const core = kc.makeApiClient(CoreV1Api);
    const names = Array.from({ length: 7 }, (_, i) => `cm-${i}`);
    // A named field manager makes the server record managedFields, as every apply by Flux or kubectl does.
    for (const name of names) await core.createNamespacedConfigMap({ namespace: ns, fieldManager: 'flux', body: { metadata: { name }, data: { k: name } } });
    // What happens, in order: a page asked for, a page received, a page handed to onPage.
    const events: string[] = [];
    const seen: V1ConfigMap[] = [];
    const list = paginated(
      async (page) => {
        events.push('ask');
        // A list's first asynchronous step (its credentials), after which its request goes out.
        await Promise.resolve();
        events.push('sent');
        const result = await core.listNamespacedConfigMap({ namespace: ns, ...page });
        events.push(`got ${result.items.length}`);
        return result;
      },
      3,
      (items) => {
        events.push(`page ${items.length}`);
        seen.push(...items);
      },
    );
    const informer = new ResourceInformer<V1ConfigMap>(kc, `/api/v1/namespaces/${ns}/configmaps`, list, () => undefined, quiet);
    await informer.start();
    try {
      // Each next page is asked for, and on its way, before the one in hand goes to onPage.
      expect(events).toEqual(['ask', 'sent', 'got 3', 'ask', 'sent', 'page 3', 'got 3', 'ask', 'sent', 'page 3', 'got 1', 'page 1']);
      // onPage sees the very objects the cache holds.
      expect(seen.map((c) => informer.get(c.metadata!.name!, ns) === c)).toEqual(names.map(() => true));
      expect(informer.list().map((c) => c.metadata?.name).sort()).toEqual(names);
      // The server sends managedFields; the cache keeps none.
      expect(informer.list().filter((c) => c.metadata?.managedFields !== undefined)).toEqual([]);
      await core.createNamespacedConfigMap({ namespace: ns, fieldManager: 'flux', body: { metadata: { name: 'late' }, data: { k: 'late' } } });
      await eventually(() => expect(informer.get('late', ns)?.metadata).toEqual(expect.not.objectContaining({ managedFields: expect.anything() })));
    } finally {
      await informer.stop();
    }
  });

  it('lists a built-in kind as plain JSON, page by page, as its watch delivers objects', async () => {
    const kc = testKubeConfig();
    const ns = await testNamespace(kc);
    const core = kc.makeApiClient(CoreV1Api);
    const names = Array.from({ length: 5 }, (_, i) => `s-${i}`);
    for (const name of names) await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name }, stringData: { username: name, password: 'p' } } });
    const list = await paginated(plainListPage<V1Secret>(kc, `/api/v1/namespaces/${ns}/secrets`), 2)();
    // Every Secret, with its data as the server sends it and its timestamp a string, not a Date built by the client
    expect(list.items.map((s) => [s.metadata?.name, s.data?.username, typeof s.metadata?.creationTimestamp])).toEqual(names.map((n) => [n, Buffer.from(n).toString('base64'), 'string']));
    // Its three pages went over one kept-alive connection, which waits for the next list
    const options: RequestOptions = {};
    await kc.applyToHTTPSOptions(options);
    const agent = sharedAgent(kc, options.agent) as Agent;
    expect(Object.values(agent.freeSockets).flat()).toHaveLength(1);
    // A refused list throws the client's ApiException with the server's status
    const refused = await plainListPage(kc, `/api/v1/namespaces/${ns}/no-such-kind`)({ limit: 1 }).catch((error: unknown) => error);
    expect(refused instanceof ApiException ? refused.code : refused).toBe(404);
  });
});
