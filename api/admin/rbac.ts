// What the API may do in the cluster: read the fleet, and create NVR credential Secrets it can never read back.
import { GROUP } from '../../crds/index.js';

export interface ApiRbacOptions {
  fleetNamespace: string;
  subject: { kind: 'ServiceAccount'; name: string; namespace: string };
  name?: string;
}

export function apiRbac(options: ApiRbacOptions): Array<Record<string, unknown>> {
  const name = options.name ?? 'posbon-api';
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name },
      // MediaNodes are cluster-scoped: the fleet view shows each school's node and its readiness.
      rules: [{ apiGroups: [GROUP], resources: ['medianodes'], verbs: ['list', 'watch'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [options.subject],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name, namespace: options.fleetNamespace },
      rules: [
        { apiGroups: [GROUP], resources: ['schools', 'nvrs', 'faceiddevices'], verbs: ['list', 'watch'] },
        // Proposed NVR credentials: create only; the name is a keyed hash, so an existing one needs no read.
        { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name, namespace: options.fleetNamespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [options.subject],
    },
  ];
}
