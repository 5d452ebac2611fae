// Custom resources of one kind: the watch path and a paged list, for every informer over them.
import type { KubeConfig, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { paginated } from './informers.js';
import { plainListPage } from './plain-list.js';

export interface CustomKind {
  group: string;
  version: string;
  plural: string;
  scope: 'Cluster' | 'Namespaced';
}

/** The watch path of a kind: the cluster-wide one, or that of one namespace. */
export const customObjectPath = (kind: CustomKind, namespace: string): string =>
  kind.scope === 'Cluster' ? `/apis/${kind.group}/${kind.version}/${kind.plural}` : `/apis/${kind.group}/${kind.version}/namespaces/${namespace}/${kind.plural}`;

/**
 * Lists every object of a kind in pages, so a large fleet never arrives as one giant response. The pages are read
 * as plain JSON (`plainListPage`): the client's own list streams each response through extra stream stages before
 * the same JSON.parse, about a fifth more CPU for a list of 30,000 NVRs.
 */
export function listCustomObjects<T extends KubernetesObject>(
  kc: KubeConfig,
  kind: CustomKind,
  namespace: string,
  onPage?: (items: readonly T[]) => void,
): () => Promise<KubernetesListObject<T>> {
  return paginated<T>(plainListPage<T>(kc, customObjectPath(kind, namespace)), undefined, onPage);
}
