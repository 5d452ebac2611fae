// The least the operator needs: read the fleet, write its status, own the media namespace's shard objects.
import { GROUP } from '../crds/index.js';

export interface RbacOptions {
  fleetNamespace: string;
  mediaNamespace: string;
  /** The subject the roles are bound to. */
  subject: { kind: 'ServiceAccount' | 'User'; name: string; namespace?: string };
  name?: string;
}

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };

export function operatorRbac(options: RbacOptions): Array<Record<string, unknown>> {
  const name = options.name ?? 'posbon-operator';
  const subject = { ...options.subject, ...(options.subject.kind === 'User' ? { apiGroup: 'rbac.authorization.k8s.io' } : {}) };
  const role = (namespace: string, rules: Rule[]) => [
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name, namespace }, rules },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name, namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [subject],
    },
  ];
  const read = ['get', 'list', 'watch'];
  const events: Rule = { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] };
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name },
      rules: [
        { apiGroups: [GROUP], resources: ['medianodes'], verbs: read },
        { apiGroups: [GROUP], resources: ['medianodes/status'], verbs: ['get', 'patch'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [subject],
    },
    ...role(options.fleetNamespace, [
      { apiGroups: [GROUP], resources: ['schools', 'nvrs'], verbs: read },
      { apiGroups: [GROUP], resources: ['schools/status', 'nvrs/status'], verbs: ['get', 'patch'] },
      // NVR credentials live here; the operator reads them to seal each node's config and never writes them.
      { apiGroups: [''], resources: ['secrets'], verbs: read },
      events,
    ]),
    ...role(options.mediaNamespace, [
      { apiGroups: [''], resources: ['configmaps', 'services'], verbs: ['get', 'list', 'create', 'patch', 'delete'] },
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'create', 'patch', 'delete'] },
      // Each node's MTX_CONFKEY and probe credentials, and the probe token: written here, read by the node's pod.
      { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'create', 'patch', 'delete'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
      // Each node's certificate for its WHEP and HLS host; cert-manager, not the operator, writes its Secret.
      { apiGroups: ['cert-manager.io'], resources: ['certificates'], verbs: ['get', 'create', 'patch', 'delete'] },
    ]),
    // Events of cluster-scoped MediaNodes can only live in the default namespace.
    ...role('default', [events]),
  ];
}
