// Lists of any kind as plain JSON, the form in which a watch delivers its objects: no model classes are built and no
// timestamp becomes a Date. For informers of built-in kinds, whose typed lists would convert every object, and of
// custom ones. Their objects come without managedFields, which informers drop anyway.
import { request, type RequestOptions } from 'node:https';
import { ApiException, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import { sharedAgent } from './keep-alive.js';
import { cutManagedFields } from './managed-fields.js';

/**
 * One page of the list at `path` (e.g. `/api/v1/namespaces/fleet/secrets`) with the KubeConfig's credentials, for
 * `paginated`. A status other than 200 throws the client's ApiException, as its typed lists do.
 */
export function plainListPage<T extends KubernetesObject>(kc: KubeConfig, path: string): (page: { limit: number; _continue?: string }) => Promise<KubernetesListObject<T>> {
  return async ({ limit, _continue }) => {
    const options: RequestOptions = {};
    await kc.applyToHTTPSOptions(options);
    // The pages of a list, and the lists of every kind, share one kept-alive connection instead of a handshake each.
    options.agent = sharedAgent(kc, options.agent) as RequestOptions['agent'];
    // The server's own path, if it has one (a proxy's), stays in front.
    const url = new URL(`${kc.getCurrentCluster()!.server.replace(/\/$/, '')}${path}`);
    url.searchParams.set('limit', String(limit));
    if (_continue) url.searchParams.set('continue', _continue);
    const { status, headers, body } = await new Promise<{ status: number; headers: Record<string, string>; body: Buffer }>((resolve, reject) => {
      request(url, { ...options, headers: { ...options.headers, Accept: 'application/json' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers as Record<string, string>, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      })
        .on('error', reject)
        .end();
    });
    if (status !== 200) throw new ApiException(status, `list ${path}: HTTP ${status}`, body.toString('utf8'), headers);
    return JSON.parse(cutManagedFields(body).toString('utf8')) as KubernetesListObject<T>;
  };
}
