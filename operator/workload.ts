// The MediaMTX workload of one media node, built with cdk8s-plus: pinned to its machine, host network, config as a folder.
import { App, Chart, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import type { MediaNode } from '../crds/index.js';
import { configMapName, MEDIA_NODE_LABEL, MEDIAMTX_PORTS, PRIVATE_PORTS, mediaNodeTaint } from './core/media-host.js';
import { MEDIAMTX_API_DIR } from './core/mediamtx.js';
import { MEDIAMTX_TLS_DIR, mediaNodeTls, renderCertificate, type CertificateIssuer } from './core/media-tls.js';

/** Every container of the node's pod but WireGuard's: a fixed non-root user, nothing writable, no escalation. */
const NON_ROOT: kplus.ContainerSecurityContextProps = {
  ensureNonRoot: true,
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  user: 65532,
  group: 65532,
};

export interface WorkloadOptions {
  namespace: string;
  mediamtxImage: string;
  /** The Posbon image: it runs the probe sidecar and the session expiry; both are left out when unset. */
  probeImage?: string;
  /** The cluster's pod and service CIDRs, which the probe sidecar never reaches (POSBON_PROBE_CLUSTER_CIDRS). */
  probeClusterCidrs?: string[];
  /** Image of the WireGuard sidecar, added for nodes that serve tunnel schools; left out when unset. */
  tunnelImage?: string;
  /** Issuer of the nodes' certificates when a MediaNode names none; without either, no Certificate is rendered. */
  certificateIssuer?: CertificateIssuer;
  /** Taints of dedicated media machines every node's pod tolerates (a MediaNode may add its own). */
  tolerations?: Toleration[];
  /** Labels every media machine carries (a MediaNode may add its own). */
  nodeSelector?: Record<string, string>;
}

export interface Toleration {
  key: string;
  operator: 'Equal' | 'Exists';
  value?: string | undefined;
  effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' | undefined;
}



export const DEFAULT_WORKLOAD_OPTIONS: WorkloadOptions = {
  namespace: 'posbon-media',
  mediamtxImage: 'docker.io/bluenviron/mediamtx:1.20.1',
};

export const MANAGED_LABELS = {
  'app.kubernetes.io/managed-by': 'posbon-operator',
  'app.kubernetes.io/part-of': 'posbon',
} as const;
export const NODE_LABEL = MEDIA_NODE_LABEL;

export { configMapName };
export const confKeySecretName = (node: string) => `mediamtx-${node}-confkey`;
export const probeConfigMapName = (node: string) => `mediamtx-${node}-probe`;
export const probeCredentialsSecretName = (node: string) => `mediamtx-${node}-probe-credentials`;
export const PROBE_TOKEN_SECRET = 'posbon-probe-token';
export const tunnelConfigMapName = (node: string) => `mediamtx-${node}-tunnel`;
export const tunnelKeySecretName = (node: string) => `mediamtx-${node}-wireguard`;
export const TUNNEL_PORT = PRIVATE_PORTS.tunnelStatus;
export const CONFIG_FILE = 'mediamtx.yml';

/** Deployment and Service of a node's MediaMTX, as plain manifests ready for server-side apply. */
export function renderWorkload(
  node: MediaNode,
  options: WorkloadOptions = DEFAULT_WORKLOAD_OPTIONS,
): Array<Record<string, unknown>> {
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
  deployment.select(
    kplus.LabelSelector.of({ labels: { [NODE_LABEL]: node.metadata.name, 'app.kubernetes.io/name': 'mediamtx' } }),
  );
  const selector: Record<string, string> = { ...options.nodeSelector, ...node.spec.placement?.nodeSelector, [NODE_LABEL]: node.metadata.name };
  deployment.scheduling.attract(
    kplus.Node.labeled(...Object.keys(selector).sort().map((key) => kplus.NodeLabelQuery.is(key, selector[key]!))),
  );
  const container = deployment.addContainer({
    name: 'mediamtx',
    image: options.mediamtxImage,
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    args: [`/config/${CONFIG_FILE}`],
    ports: [
      { name: 'hls', number: MEDIAMTX_PORTS.hls },
      { name: 'webrtc', number: MEDIAMTX_PORTS.webrtc },
      { name: 'webrtc-udp', number: MEDIAMTX_PORTS.webrtcUdp, protocol: kplus.Protocol.UDP },
      // Named for a PodMonitor: Prometheus scrapes the pod's IP, the machine's private address on the host network.
      { name: 'metrics', number: PRIVATE_PORTS.metrics },
    ],
    envVariables: {
      MTX_CONFKEY: kplus.EnvValue.fromSecretValue({ secret: confKey, key: 'key' }),
      // status.hostIP is the machine's node-ip, its private address: Prometheus in the cluster reaches it, the internet does not.
      HOST_IP: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.NODE_IP),
      MTX_METRICSADDRESS: kplus.EnvValue.fromValue(`$(HOST_IP):${PRIVATE_PORTS.metrics}`),
    },
    readiness: kplus.Probe.fromTcpSocket({ port: MEDIAMTX_PORTS.hls, periodSeconds: Duration.seconds(5) }),
    liveness: kplus.Probe.fromTcpSocket({
      port: MEDIAMTX_PORTS.hls,
      periodSeconds: Duration.seconds(10),
      failureThreshold: 6,
    }),
    resources: {
      cpu: { request: kplus.Cpu.millis(500), limit: kplus.Cpu.units(4) },
      memory: { request: Size.mebibytes(512), limit: Size.gibibytes(4) },
    },
    securityContext: NON_ROOT,
  });
  // A folder mount, never subPath: a subPath mount is not updated when the ConfigMap changes.
  container.mount('/config', kplus.Volume.fromConfigMap(chart, 'config-volume', config, { name: 'config' }), {
    readOnly: true,
  });
  // The control API's socket: only the containers that mount this volume can reach it (the pod is on the host network).
  const apiSocket = kplus.Volume.fromEmptyDir(chart, 'mediamtx-api', 'mediamtx-api', {
    medium: kplus.EmptyDirMedium.MEMORY,
    sizeLimit: Size.mebibytes(1),
  });
  container.mount(MEDIAMTX_API_DIR, apiSocket);
  const tls = mediaNodeTls(node, options.certificateIssuer);
  if (tls) {
    // A folder mount: the kubelet swaps the files atomically on renewal and MediaMTX rereads them, keeping viewers.
    const secret = kplus.Secret.fromSecretName(chart, 'tls-secret', tls.secretName);
    container.mount(MEDIAMTX_TLS_DIR, kplus.Volume.fromSecret(chart, 'tls', secret, { name: 'tls', defaultMode: 0o440 }), { readOnly: true });
  }
  if (options.probeImage) {
    addProbeSidecar(chart, deployment, node.metadata.name, options.probeImage, options.probeClusterCidrs ?? []);
    addSessionExpiry(deployment, options.probeImage, apiSocket);
  }
  if (options.tunnelImage) addTunnelSidecar(chart, deployment, node.metadata.name, options.tunnelImage);
  new kplus.Service(chart, 'service', {
    metadata: { name },
    selector: deployment,
    ports: [
      { name: 'hls', port: MEDIAMTX_PORTS.hls, targetPort: MEDIAMTX_PORTS.hls },
      { name: 'webrtc', port: MEDIAMTX_PORTS.webrtc, targetPort: MEDIAMTX_PORTS.webrtc },
      ...(options.probeImage ? [{ name: 'probe', port: PROBE_PORT, targetPort: PROBE_PORT }] : []),
    ],
  });
  const manifests = chart.toJson() as Array<Record<string, unknown>>;
  if (options.tunnelImage) withTunnelCapabilities(manifests);
  withTolerations(manifests, [{ ...mediaNodeTaint(node.metadata.name), operator: 'Equal' }, ...(options.tolerations ?? []), ...(node.spec.placement?.tolerations ?? [])]);
  if (tls) manifests.push(renderCertificate(node, tls, options.namespace, labels));
  return manifests;
}

/**
 * Written as Kubernetes spells them: cdk8s-plus cannot express an Exists toleration without an effect. Duplicates
 * (the same toleration from the operator and the node) are written once.
 */
function withTolerations(manifests: Array<Record<string, unknown>>, tolerations: Toleration[]): void {
  const seen = new Set<string>();
  const unique = tolerations
    .map((t) => ({
      key: t.key,
      operator: t.operator,
      ...(t.operator === 'Equal' && t.value !== undefined ? { value: t.value } : {}),
      ...(t.effect ? { effect: t.effect } : {}),
    }))
    .filter((t) => {
      const id = JSON.stringify(t);
      return seen.has(id) ? false : (seen.add(id), true);
    });
  for (const m of manifests) {
    const pod = (m as { spec?: { template?: { spec?: Record<string, unknown> } } }).spec?.template?.spec;
    if (pod) pod.tolerations = unique;
  }
}

/** cdk8s-plus names capabilities with a CAP_ prefix and has no ALL; Kubernetes' own names are written here. */
function withTunnelCapabilities(manifests: Array<Record<string, unknown>>): void {
  for (const m of manifests) {
    const containers =
      (
        m as {
          spec?: {
            template?: { spec?: { containers?: Array<{ name: string; securityContext?: Record<string, unknown> }> } };
          };
        }
      ).spec?.template?.spec?.containers ?? [];
    for (const c of containers)
      if (c.name === 'wireguard')
        c.securityContext = { ...c.securityContext, capabilities: { drop: ['ALL'], add: ['NET_ADMIN'] } };
  }
}

export const PROBE_PORT = PRIVATE_PORTS.probe;

/** Ends viewer sessions whose token has expired, through MediaMTX's control API socket (ADR 0004). */
function addSessionExpiry(deployment: kplus.Deployment, image: string, apiSocket: kplus.Volume): void {
  const expiry = deployment.addContainer({
    name: 'session-expiry',
    image,
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    command: ['node', '--import', 'tsx', 'operator/sessions/main.ts'],
    workingDir: '/app',
    envVariables: {
      POSBON_MEDIAMTX_API: kplus.EnvValue.fromValue(`unix://${MEDIAMTX_API_DIR}/api.sock`),
      POSBON_SESSION_SWEEP_SECONDS: kplus.EnvValue.fromValue('5'),
    },
    resources: {
      cpu: { request: kplus.Cpu.millis(10), limit: kplus.Cpu.millis(200) },
      memory: { request: Size.mebibytes(64), limit: Size.mebibytes(128) },
    },
    securityContext: NON_ROOT,
  });
  expiry.mount(MEDIAMTX_API_DIR, apiSocket);
}

/**
 * The probe sidecar: same pod, same host network, so its probes leave from the node's egress IP. It listens on the
 * node's own address, never on every interface, and reads its allowlist, token and credentials from mounts.
 */
function addProbeSidecar(
  chart: Chart,
  deployment: kplus.Deployment,
  node: string,
  image: string,
  clusterCidrs: string[],
): void {
  const probe = deployment.addContainer({
    name: 'probe',
    image,
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    command: ['node', '--import', 'tsx', 'operator/probe/main.ts'],
    workingDir: '/app',
    ports: [{ name: 'probe', number: PROBE_PORT }],
    envVariables: {
      HOST_IP: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.NODE_IP),
      POSBON_PROBE_NODE: kplus.EnvValue.fromValue(node),
      POSBON_PROBE_LISTEN: kplus.EnvValue.fromValue(`$(HOST_IP):${PROBE_PORT}`),
      POSBON_PROBE_ALLOWLIST: kplus.EnvValue.fromValue('/probe/allowlist.json'),
      POSBON_PROBE_TOKEN_FILE: kplus.EnvValue.fromValue('/probe-token/token'),
      // The key `ticket-key` of the same Secret signs tickets for proposed NVRs; absent, tickets are refused.
      POSBON_PROBE_TICKET_KEY_FILE: kplus.EnvValue.fromValue('/probe-token/ticket-key'),
      POSBON_PROBE_CREDENTIALS_DIR: kplus.EnvValue.fromValue('/probe-credentials'),
      ...(clusterCidrs.length > 0
        ? { POSBON_PROBE_CLUSTER_CIDRS: kplus.EnvValue.fromValue(clusterCidrs.join(',')) }
        : {}),
    },
    readiness: kplus.Probe.fromHttpGet('/healthz', { port: PROBE_PORT }),
    resources: {
      cpu: { request: kplus.Cpu.millis(50), limit: kplus.Cpu.millis(500) },
      memory: { request: Size.mebibytes(96), limit: Size.mebibytes(256) },
    },
    securityContext: NON_ROOT,
  });
  const configMap = kplus.ConfigMap.fromConfigMapName(chart, 'probe-cm', probeConfigMapName(node));
  const token = kplus.Secret.fromSecretName(chart, 'probe-token-secret', PROBE_TOKEN_SECRET);
  const credentials = kplus.Secret.fromSecretName(chart, 'probe-credentials-secret', probeCredentialsSecretName(node));
  probe.mount('/probe', kplus.Volume.fromConfigMap(chart, 'probe-allowlist', configMap, { name: 'probe-allowlist' }), {
    readOnly: true,
  });
  probe.mount('/probe-token', kplus.Volume.fromSecret(chart, 'probe-token', token, { name: 'probe-token' }), {
    readOnly: true,
  });
  probe.mount(
    '/probe-credentials',
    kplus.Volume.fromSecret(chart, 'probe-credentials', credentials, { name: 'probe-credentials' }),
    { readOnly: true },
  );
}

/**
 * The WireGuard sidecar: on the host network beside MediaMTX, so MediaMTX's pulls to a tunnel NVR take the interface
 * it keeps. It holds NET_ADMIN and nothing else; the private key comes from the Secret mount, the peers from the
 * ConfigMap, and only handshake times leave it, on the node's own address.
 */
function addTunnelSidecar(chart: Chart, deployment: kplus.Deployment, node: string, image: string): void {
  const tunnel = deployment.addContainer({
    name: 'wireguard',
    image,
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    command: ['node', '--import', 'tsx', 'operator/tunnel/main.ts'],
    workingDir: '/app',
    ports: [{ name: 'tunnel-status', number: TUNNEL_PORT }],
    envVariables: {
      HOST_IP: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.NODE_IP),
      POSBON_TUNNEL_NODE: kplus.EnvValue.fromValue(node),
      POSBON_TUNNEL_CONFIG_DIR: kplus.EnvValue.fromValue('/tunnel'),
      POSBON_TUNNEL_KEY_FILE: kplus.EnvValue.fromValue('/wireguard/private-key'),
      POSBON_TUNNEL_LISTEN: kplus.EnvValue.fromValue(`$(HOST_IP):${TUNNEL_PORT}`),
    },
    readiness: kplus.Probe.fromTcpSocket({ port: TUNNEL_PORT }),
    resources: {
      cpu: { request: kplus.Cpu.millis(20), limit: kplus.Cpu.millis(200) },
      memory: { request: Size.mebibytes(64), limit: Size.mebibytes(192) },
    },
    // Creating the interface and its routes needs root's NET_ADMIN; every other capability is dropped.
    securityContext: {
      ensureNonRoot: false,
      user: 0,
      group: 0,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    },
  });
  const configMap = kplus.ConfigMap.fromConfigMapName(chart, 'tunnel-cm', tunnelConfigMapName(node));
  const key = kplus.Secret.fromSecretName(chart, 'tunnel-key-secret', tunnelKeySecretName(node));
  tunnel.mount('/tunnel', kplus.Volume.fromConfigMap(chart, 'tunnel-peers', configMap, { name: 'tunnel-peers' }), {
    readOnly: true,
  });
  tunnel.mount(
    '/wireguard',
    kplus.Volume.fromSecret(chart, 'tunnel-key', key, { name: 'tunnel-key', defaultMode: 0o400 }),
    { readOnly: true },
  );
}
