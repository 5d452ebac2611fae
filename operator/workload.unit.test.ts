import { mediaNode } from '../test/fixtures/fleet.js';
import { renderWorkload } from './workload.js';

const [deployment, service] = renderWorkload(mediaNode('fsn1-a'), {
  namespace: 'posbon-media',
  mediamtxImage: 'mediamtx:test',
  probeImage: 'posbon:test',
  probeClusterCidrs: ['10.244.0.0/16', '10.96.0.0/12'],
}) as any[];

describe('renderWorkload', () => {
  it('pins MediaMTX to its machine on the host network, so pulls leave from the node\'s egress IP', () => {
    expect(deployment.metadata).toMatchObject({ name: 'mediamtx-fsn1-a', namespace: 'posbon-media' });
    expect(deployment.spec.strategy).toEqual({ type: 'Recreate' });
    const pod = deployment.spec.template.spec;
    expect(pod.hostNetwork).toBe(true);
    expect(pod.dnsPolicy).toBe('ClusterFirstWithHostNet');
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      { matchExpressions: [{ key: 'posbon.io/media-node', operator: 'In', values: ['fsn1-a'] }] },
    ]);
  });

  it("tolerates only its own machine's media-node taint, which keeps every other pod off that machine", () => {
    expect(deployment.spec.template.spec.tolerations).toEqual([{ key: 'posbon.io/media-node', operator: 'Equal', value: 'fsn1-a', effect: 'NoSchedule' }]);
  });

  it('mounts the config as a folder, never with subPath, and takes the key from a Secret', () => {
    const mediamtx = deployment.spec.template.spec.containers.find((c: any) => c.name === 'mediamtx');
    expect(mediamtx.args).toEqual(['/config/mediamtx.yml']);
    expect(mediamtx.volumeMounts).toEqual([
      { mountPath: '/config', name: 'config', readOnly: true },
      { mountPath: '/var/run/posbon-mediamtx', name: 'mediamtx-api' },
    ]);
    expect(mediamtx.env[0]).toEqual({ name: 'MTX_CONFKEY', valueFrom: { secretKeyRef: { key: 'key', name: 'mediamtx-fsn1-a-confkey' } } });
    expect(deployment.spec.template.spec.volumes).toEqual(expect.arrayContaining([{ name: 'config', configMap: { name: 'mediamtx-fsn1-a' } }]));
    expect(JSON.stringify(deployment)).not.toContain('subPath');
    expect(mediamtx.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(mediamtx.resources.requests).toEqual({ cpu: '500m', memory: '512Mi' });
  });

  it('runs the probe sidecar on the node\'s own address with its allowlist, token and credentials mounted', () => {
    const probe = deployment.spec.template.spec.containers.find((c: any) => c.name === 'probe');
    const env = Object.fromEntries(probe.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toEqual({
      HOST_IP: { fieldRef: { fieldPath: 'status.hostIP' } },
      POSBON_PROBE_NODE: 'fsn1-a',
      POSBON_PROBE_LISTEN: '$(HOST_IP):9440',
      POSBON_PROBE_ALLOWLIST: '/probe/allowlist.json',
      POSBON_PROBE_TOKEN_FILE: '/probe-token/token',
      POSBON_PROBE_TICKET_KEY_FILE: '/probe-token/ticket-key',
      POSBON_PROBE_CREDENTIALS_DIR: '/probe-credentials',
      POSBON_PROBE_CLUSTER_CIDRS: '10.244.0.0/16,10.96.0.0/12',
    });
    expect(probe.volumeMounts.map((m: any) => m.mountPath).sort()).toEqual(['/probe', '/probe-credentials', '/probe-token']);
    expect(service.spec.ports.map((p: any) => p.port)).toEqual([8888, 8889, 9440]);
  });

  it('runs the session expiry beside MediaMTX, the only other container that mounts its control API socket', () => {
    const containers = deployment.spec.template.spec.containers;
    const mounting = containers.filter((c: any) => c.volumeMounts?.some((m: any) => m.name === 'mediamtx-api')).map((c: any) => c.name);
    expect(mounting).toEqual(['mediamtx', 'session-expiry']);
    const expiry = containers.find((c: any) => c.name === 'session-expiry');
    expect([expiry.image, expiry.command, expiry.env]).toEqual([
      'posbon:test',
      ['node', '--import', 'tsx', 'operator/sessions/main.ts'],
      [
        { name: 'POSBON_MEDIAMTX_API', value: 'unix:///var/run/posbon-mediamtx/api.sock' },
        { name: 'POSBON_SESSION_SWEEP_SECONDS', value: '5' },
      ],
    ]);
    expect(deployment.spec.template.spec.volumes).toEqual(expect.arrayContaining([{ name: 'mediamtx-api', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } }]));
  });
});

describe('renderWorkload with the WireGuard sidecar', () => {
  const [tunnelDeployment] = renderWorkload(mediaNode('fsn1-a'), { namespace: 'posbon-media', mediamtxImage: 'mediamtx:test', tunnelImage: 'posbon:test' }) as any[];
  const pod = tunnelDeployment.spec.template.spec;
  const wireguard = pod.containers.find((c: any) => c.name === 'wireguard');

  it('runs beside MediaMTX with NET_ADMIN only, the key from its Secret and the peers from a ConfigMap folder', () => {
    expect(wireguard.securityContext).toEqual({
      runAsNonRoot: false,
      runAsUser: 0,
      runAsGroup: 0,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'], add: ['NET_ADMIN'] },
    });
    expect(wireguard.volumeMounts).toEqual([
      { mountPath: '/tunnel', name: 'tunnel-peers', readOnly: true },
      { mountPath: '/wireguard', name: 'tunnel-key', readOnly: true },
    ]);
    expect(pod.volumes).toEqual(
      expect.arrayContaining([
        { name: 'tunnel-peers', configMap: { name: 'mediamtx-fsn1-a-tunnel' } },
        { name: 'tunnel-key', secret: { secretName: 'mediamtx-fsn1-a-wireguard', defaultMode: 0o400 } },
      ]),
    );
    expect(JSON.stringify(tunnelDeployment)).not.toContain('subPath');
  });
});

describe('renderWorkload with a certificate and dedicated machines', () => {
  const issuer = { name: 'media-ca', kind: 'Issuer' as const, group: 'cert-manager.io' };
  const node = mediaNode('fsn1-a', {
    webrtcBaseUrl: 'https://fsn1-a.media.example:8889',
    hlsBaseUrl: 'https://fsn1-a-hls.media.example:8888/hls',
    placement: {
      tolerations: [
        { key: 'dedicated', operator: 'Equal', value: 'media', effect: 'NoSchedule' },
        { key: 'hetzner/dedicated', operator: 'Exists' },
      ],
      nodeSelector: { 'node.kubernetes.io/instance-type': 'ccx23' },
    },
  });
  const manifests = renderWorkload(node, {
    namespace: 'posbon-media',
    mediamtxImage: 'mediamtx:test',
    certificateIssuer: { name: 'letsencrypt', kind: 'ClusterIssuer', group: 'cert-manager.io' },
    tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'media', effect: 'NoSchedule' }],
    nodeSelector: { 'posbon.io/pool': 'media' },
  }) as any[];
  const [deployment, , certificate] = manifests;
  const labels = {
    'app.kubernetes.io/managed-by': 'posbon-operator',
    'app.kubernetes.io/part-of': 'posbon',
    'app.kubernetes.io/name': 'mediamtx',
    'posbon.io/media-node': 'fsn1-a',
  };

  it("renders the node's Certificate for the hosts of its base URLs, signed by the operator's issuer", () => {
    expect(manifests.map((m) => m.kind)).toEqual(['Deployment', 'Service', 'Certificate']);
    expect(certificate).toEqual({
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'mediamtx-fsn1-a-tls', namespace: 'posbon-media', labels },
      spec: {
        secretName: 'mediamtx-fsn1-a-tls',
        dnsNames: ['fsn1-a-hls.media.example', 'fsn1-a.media.example'],
        issuerRef: { name: 'letsencrypt', kind: 'ClusterIssuer', group: 'cert-manager.io' },
        privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
        usages: ['server auth', 'digital signature'],
        duration: '2160h',
        renewBefore: '720h',
        secretTemplate: { labels },
      },
    });
    const own = renderWorkload(mediaNode('fsn1-a', { tls: { issuerRef: issuer } }), { namespace: 'posbon-media', mediamtxImage: 'm' }) as any[];
    expect(own[2].spec.issuerRef).toEqual(issuer);
    expect(renderWorkload(mediaNode('fsn1-a'), { namespace: 'posbon-media', mediamtxImage: 'm' }).map((m) => m.kind)).toEqual(['Deployment', 'Service']);
  });

  it("mounts the certificate's Secret as a folder, so a renewal reaches MediaMTX without a restart", () => {
    const mediamtx = deployment.spec.template.spec.containers.find((c: any) => c.name === 'mediamtx');
    expect(mediamtx.volumeMounts).toEqual([
      { mountPath: '/config', name: 'config', readOnly: true },
      { mountPath: '/var/run/posbon-mediamtx', name: 'mediamtx-api' },
      { mountPath: '/tls', name: 'tls', readOnly: true },
    ]);
    expect(deployment.spec.template.spec.volumes).toEqual(expect.arrayContaining([{ name: 'tls', secret: { secretName: 'mediamtx-fsn1-a-tls', defaultMode: 0o440 } }]));
  });

  it("binds MediaMTX's metrics to the machine's private address, never every interface", () => {
    const mediamtx = deployment.spec.template.spec.containers.find((c: any) => c.name === 'mediamtx');
    expect(mediamtx.env).toEqual([
      { name: 'MTX_CONFKEY', valueFrom: { secretKeyRef: { key: 'key', name: 'mediamtx-fsn1-a-confkey' } } },
      { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
      { name: 'MTX_METRICSADDRESS', value: '$(HOST_IP):9998' },
    ]);
    expect(mediamtx.ports).toEqual([
      { containerPort: 8888, name: 'hls' },
      { containerPort: 8889, name: 'webrtc' },
      { containerPort: 8189, name: 'webrtc-udp', protocol: 'UDP' },
      { containerPort: 9998, name: 'metrics' },
    ]);
  });

  it("tolerates its own taint, the operator's and the node's dedicated taints once each, and selects the machine by every label", () => {
    const pod = deployment.spec.template.spec;
    expect(pod.tolerations).toEqual([
      { key: 'posbon.io/media-node', operator: 'Equal', value: 'fsn1-a', effect: 'NoSchedule' },
      { key: 'dedicated', operator: 'Equal', value: 'media', effect: 'NoSchedule' },
      { key: 'hetzner/dedicated', operator: 'Exists' },
    ]);
    expect(pod.affinity).toEqual({
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            {
              matchExpressions: [
                { key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['ccx23'] },
                { key: 'posbon.io/media-node', operator: 'In', values: ['fsn1-a'] },
                { key: 'posbon.io/pool', operator: 'In', values: ['media'] },
              ],
            },
          ],
        },
      },
    });
  });
});
