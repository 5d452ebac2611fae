// The MediaMTX workload of one media node, built with cdk8s-plus: pinned to its machine, host network, config as a folder.
import { App, Chart, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import type { MediaNode } from '../crds/index.js';

export interface WorkloadOptions {
  namespace: string;
  mediamtxImage: string;
  /** Image of the probe sidecar; left out when unset. */
  probeImage?: string;
}

export const DEFAULT_WORKLOAD_OPTIONS: WorkloadOptions = {
  namespace: 'posbon-media',
  mediamtxImage: 'docker.io/bluenviron/mediamtx:1.20.1',
};

export const MANAGED_LABELS = { 'app.kubernetes.io/managed-by': 'posbon-operator', 'app.kubernetes.io/part-of': 'posbon' } as const;
export const NODE_LABEL = 'posbon.io/media-node';

export const configMapName = (node: string) => `mediamtx-${node}`;
export const confKeySecretName = (node: string) => `mediamtx-${node}-confkey`;
export const CONFIG_FILE = 'mediamtx.yml';

/** Deployment and Service of a node's MediaMTX, as plain manifests ready for server-side apply. */
export function renderWorkload(node: MediaNode, options: WorkloadOptions = DEFAULT_WORKLOAD_OPTIONS): Array<Record<string, unknown>> {
  const name = configMapName(node.metadata.name);
  const labels = { ...MANAGED_LABELS, [NODE_LABEL]: node.metadata.name, 'app.kubernetes.io/name': 'mediamtx' };
  const app = new App();
  const chart = new Chart(app, name, { namespace: options.namespace, disableResourceNameHashes: true, labels });
  const config = kplus.ConfigMap.fromConfigMapName(chart, 'config', name);
  const confKey = kplus.Secret.fromSecretName(chart, 'confkey', confKeySecretName(node.metadata.name));
  const deployment = new kplus.Deployment(chart, 'deployment', {
    metadata: { name },
    replicas: 1,
    // Host ports cannot be shared, so the old pod must go before the new one starts.
    strategy: kplus.DeploymentStrategy.recreate(),
    hostNetwork: true,
    dns: { policy: kplus.DnsPolicy.CLUSTER_FIRST_WITH_HOST_NET },
    automountServiceAccountToken: false,
    select: false,
    podMetadata: { labels },
  });
  deployment.select(kplus.LabelSelector.of({ labels: { [NODE_LABEL]: node.metadata.name, 'app.kubernetes.io/name': 'mediamtx' } }));
  deployment.scheduling.attract(kplus.Node.labeled(kplus.NodeLabelQuery.is(NODE_LABEL, node.metadata.name)));
  const container = deployment.addContainer({
    name: 'mediamtx',
    image: options.mediamtxImage,
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    args: [`/config/${CONFIG_FILE}`],
    ports: [
      { name: 'hls', number: 8888 },
      { name: 'webrtc', number: 8889 },
      { name: 'webrtc-udp', number: 8189, protocol: kplus.Protocol.UDP },
    ],
    envVariables: { MTX_CONFKEY: kplus.EnvValue.fromSecretValue({ secret: confKey, key: 'key' }) },
    readiness: kplus.Probe.fromTcpSocket({ port: 8888, periodSeconds: Duration.seconds(5) }),
    liveness: kplus.Probe.fromTcpSocket({ port: 8888, periodSeconds: Duration.seconds(10), failureThreshold: 6 }),
    resources: {
      cpu: { request: kplus.Cpu.millis(500), limit: kplus.Cpu.units(4) },
      memory: { request: Size.mebibytes(512), limit: Size.gibibytes(4) },
    },
    securityContext: { ensureNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, user: 65532, group: 65532 },
  });
  // A folder mount, never subPath: a subPath mount is not updated when the ConfigMap changes.
  container.mount('/config', kplus.Volume.fromConfigMap(chart, 'config-volume', config, { name: 'config' }), { readOnly: true });
  new kplus.Service(chart, 'service', {
    metadata: { name },
    selector: deployment,
    ports: [
      { name: 'hls', port: 8888, targetPort: 8888 },
      { name: 'webrtc', port: 8889, targetPort: 8889 },
    ],
  });
  return chart.toJson() as Array<Record<string, unknown>>;
}
