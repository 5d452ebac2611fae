// Kubernetes helpers that the operator and the API share: informers that restart, and paged lists.
export { ResourceInformer, paginated, type ChangeType, type KubeLog } from './informers.js';
export { customObjectPath, listCustomObjects, type CustomKind } from './custom-objects.js';
export { keepAlive, loadKubeConfig } from './keep-alive.js';
export { plainListPage } from './plain-list.js';
