// Custom resources of one kind: the watch path and a paged list, for every informer over them.
import type { CustomObjectsApi, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { paginated } from './informers.js';

export interface CustomKind {
  group: string;
  version: string;
  plural: string;
  scope: 'Cluster' | 'Namespaced';
}

/** The watch path of a kind: the cluster-wide one, or that of one namespace. */
export const customObjectPath = (kind: CustomKind, namespace: string): string =>
  kind.scope === 'Cluster' ? `/apis/${kind.group}/${kind.version}/${kind.plural}` : `/apis/${kind.group}/${kind.version}/namespaces/${namespace}/${kind.plural}`;

/** Lists every object of a kind in pages, so a large fleet never arrives as one giant response. */
export function listCustomObjects<T extends KubernetesObject>(
  objects: CustomObjectsApi,
  kind: CustomKind,
  namespace: string,
  onPage?: (items: readonly T[]) => void,
): () => Promise<KubernetesListObject<T>> {
  const { group, version, plural } = kind;
  return paginated<T>(
    (page) =>
      (kind.scope === 'Cluster'
        ? objects.listClusterCustomObject({ group, version, plural, ...page })
        : objects.listNamespacedCustomObject({ group, version, namespace, plural, ...page })) as Promise<KubernetesListObject<T>>,
    undefined,
    onPage,
  );
}
