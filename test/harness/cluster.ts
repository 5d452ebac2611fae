// A real single-node cluster that runs pods: its own control plane, containerd with runc, a kubelet, the scheduler,
// the controller-manager, kube-proxy (iptables) for ClusterIP Services, and CoreDNS for their names. Pods sit on a
// CNI bridge of their own; stop() leaves no process, mount, network namespace, iptables chain or bridge behind.
import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import {
  coredns,
  ensureTool,
  kubeControllerManager,
  kubeProxy,
  kubeScheduler,
  kubectl as kubectlTool,
  kubelet as kubeletTool,
  type Tool,
} from '../tools/tools.js';
import { issueCert, startControlPlane, userKubeconfig, type ControlPlane } from './control-plane.js';
import { scratchImage } from './images.js';
import { GiveUp, eventually, freePort, harnessDir, spawnService, type Service } from './process.js';

const run = promisify(execFile);

/** The kubelet registers under this name; the API server reaches it by that name (preferred address type Hostname). */
export const NODE_NAME = 'localhost';
const CNI_BIN = '/usr/lib/cni';
const CLUSTER_DOMAIN = 'cluster.local';
/** Every KUBE-* chain here belongs to the test node: the machine runs no other kube-proxy or kubelet. */
const KUBE_CHAIN = /^KUBE-/;

export interface Cluster {
  server: string;
  kubeconfigPath: string;
  dir: string;
  /** The bridge's address on the host: pods reach the host's services (PostgreSQL) here, and CoreDNS answers here. */
  gateway: string;
  podCidr: string;
  serviceCidr: string;
  kubeConfig(): KubeConfig;
  kubectl(args: string[]): Promise<string>;
  /** Loads an image archive (`podman save --format docker-archive`) into containerd's Kubernetes namespace. */
  importImage(archive: string): Promise<void>;
  /** The kubelet's folder of one pod: its emptyDir volumes are under `volumes/kubernetes.io~empty-dir/<name>`. */
  podDir(uid: string): string;
  stop(): Promise<void>;
}

/** Which host programs the node needs and this machine lacks (.ci/run installs them). */
export function missingClusterTools(): string[] {
  const dirs = (process.env.PATH ?? '').split(':');
  const found = (cmd: string) => dirs.some((d) => existsSync(join(d, cmd)));
  const missing = ['containerd', 'containerd-shim-runc-v2', 'ctr', 'runc', 'iptables', 'conntrack', 'gcc'].filter((c) => !found(c));
  for (const plugin of ['bridge', 'host-local', 'loopback']) if (!existsSync(join(CNI_BIN, plugin))) missing.push(`${CNI_BIN}/${plugin}`);
  return missing;
}

// The sandbox's only process: sleeps, reaps zombies, exits on a stop signal. Built static, the image holds nothing else.
const PAUSE_C = `#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
static void stop(int s) { (void)s; _exit(0); }
static void reap(int s) { (void)s; while (waitpid(-1, 0, WNOHANG) > 0) {} }
int main(void) {
  signal(SIGINT, stop);
  signal(SIGTERM, stop);
  signal(SIGCHLD, reap);
  for (;;) pause();
}
`;

/** containerd's sandbox image, since registry.k8s.io cannot be reached: a static C `pause` in an empty image. */
async function pauseImage(dir: string): Promise<{ ref: string; archive: string }> {
  await writeFile(join(dir, 'pause.c'), PAUSE_C);
  await run('gcc', ['-static', '-Os', '-o', join(dir, 'pause'), join(dir, 'pause.c')]);
  return scratchImage('posbon-pause', { pause: join(dir, 'pause') }, ['/pause']);
}

const containerdConfig = (dir: string, pause: string) => `version = 2
root = "${dir}/containerd/root"
state = "${dir}/containerd/state"
[grpc]
  address = "${dir}/containerd/containerd.sock"
[debug]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${pause}"
  # Without it every sandbox fails here with "can't get final child's PID from pipe" (no CAP_SYS_RESOURCE).
  restrict_oom_score_adj = true
  enable_selinux = false
  # Pods' network namespaces under the state folder, so stop() finds every one of them.
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        Root = "${dir}/runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "${CNI_BIN}"
    conf_dir = "${dir}/cni"
`;

/** The bridge exists before the API server binds to its address; CNI's bridge plugin adopts it as the pods' gateway. */
const cniConfig = (dir: string, bridge: string, podCidr: string, gateway: string) =>
  JSON.stringify({
    cniVersion: '1.0.0',
    name: 'posbon-test',
    plugins: [
      {
        type: 'bridge',
        bridge,
        isGateway: true,
        // Pods talk to the host's own addresses only: no masquerade rule to leave behind.
        ipMasq: false,
        hairpinMode: true,
        ipam: { type: 'host-local', dataDir: join(dir, 'cni-ipam'), ranges: [[{ subnet: podCidr, gateway }]], routes: [{ dst: '0.0.0.0/0' }] },
      },
    ],
  });

const kubeletConfig = (dir: string, port: number, gateway: string) =>
  stringify({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    address: '127.0.0.1',
    port,
    readOnlyPort: 0,
    // Its /healthz server is not needed: readiness is the Node's Ready condition.
    healthzPort: 0,
    tlsCertFile: join(dir, 'kubelet-serving.crt'),
    tlsPrivateKeyFile: join(dir, 'kubelet-serving.key'),
    authentication: { anonymous: { enabled: false }, webhook: { enabled: false }, x509: { clientCAFile: join(dir, 'ca.crt') } },
    authorization: { mode: 'AlwaysAllow' },
    // This machine: cgroups v1 (hybrid), no systemd, swap on.
    cgroupDriver: 'cgroupfs',
    failCgroupV1: false,
    failSwapOn: false,
    containerRuntimeEndpoint: `unix://${dir}/containerd/containerd.sock`,
    clusterDNS: [gateway],
    clusterDomain: CLUSTER_DOMAIN,
    resolvConf: '/etc/resolv.conf',
    // A shared test machine's disk and memory must not evict the test's pods.
    evictionHard: { 'memory.available': '1Mi', 'nodefs.available': '1%', 'imagefs.available': '1%', 'nodefs.inodesFree': '1%' },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    serializeImagePulls: false,
    maxPods: 30,
  });

/** Ports that are free now and distinct from each other (one `freePort()` after another may repeat a port). */
async function distinctPorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

async function ip(...args: string[]): Promise<void> {
  await run('ip', args);
}

/** Removes the iptables chains kube-proxy and the kubelet made (KUBE-*) and every jump to them, for IPv4 and IPv6. */
async function removeKubeChains(): Promise<void> {
  for (const cmd of ['iptables', 'ip6tables']) {
    for (const table of ['filter', 'nat', 'mangle']) {
      const rules = await run(cmd, ['-w', '-t', table, '-S']).then((r) => r.stdout.split('\n'), () => [] as string[]);
      const chains = rules.filter((l) => l.startsWith('-N ')).map((l) => l.slice(3)).filter((c) => KUBE_CHAIN.test(c));
      if (chains.length === 0) continue;
      // Jumps from the built-in chains first, then the chains themselves: emptied, then deleted.
      const restore = [`*${table}`];
      for (const rule of rules) {
        const [, chain] = rule.split(' ');
        if (rule.startsWith('-A ') && !KUBE_CHAIN.test(chain!) && /-j KUBE-/.test(rule)) restore.push(rule.replace(/^-A /, '-D '));
      }
      for (const chain of chains) restore.push(`-F ${chain}`);
      for (const chain of chains) restore.push(`-X ${chain}`);
      restore.push('COMMIT', '');
      await new Promise<void>((resolve, reject) => {
        const child = execFile(`${cmd}-restore`, ['-w', '--noflush'], (error) => (error ? reject(error) : resolve()));
        child.stdin!.end(restore.join('\n'));
      });
    }
  }
}

/** Mount points at or under `dir`, deepest first. */
async function mountsUnder(dir: string): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  const points = info
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => p !== undefined && (p === dir || p.startsWith(`${dir}/`)))
    .map((p) => p.replace(/\\040/g, ' '));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

async function unmountAll(dir: string): Promise<void> {
  for (let round = 0; round < 5; round++) {
    const points = await mountsUnder(dir);
    if (points.length === 0) return;
    for (const p of points) await run('umount', [p]).catch(() => run('umount', ['-l', p]).catch(() => undefined));
  }
}

export async function startCluster(log: (line: string) => void = () => {}): Promise<Cluster> {
  const tool = (t: Tool) => ensureTool(t, log);
  const [kubeletBin, schedulerBin, controllerManagerBin, proxyBin, corednsBin, kubectlBin] = await Promise.all([
    tool(kubeletTool), tool(kubeScheduler), tool(kubeControllerManager), tool(kubeProxy), tool(coredns), tool(kubectlTool),
  ]);
  const dir = await harnessDir('cluster');
  // Subnets of their own, so a second node on this machine or podman's 10.88/16 never overlaps.
  const octet = randomInt(100, 250);
  const podCidr = `10.244.${octet}.0/24`;
  const gateway = `10.244.${octet}.1`;
  const serviceCidr = `10.245.${octet}.0/24`;
  const kubernetesServiceIp = `10.245.${octet}.1`;
  const bridge = `posbon-k${octet}`;
  const services: Service[] = [];
  let controlPlane: ControlPlane | undefined;
  const ctr = (args: string[]) => run('ctr', ['--address', `${dir}/containerd/containerd.sock`, '-n', 'k8s.io', ...args], { maxBuffer: 16 * 1024 * 1024 });

  const stop = async () => {
    if (controlPlane) await drain(controlPlane, log);
    // Containers the kubelet did not stop in time: killed through containerd, their network namespaces deleted.
    const netns = new Set<string>();
    if (services.some((s) => s.name === 'containerd' && !s.exited())) {
      const ids = await ctr(['containers', 'ls', '-q']).then((r) => r.stdout.split('\n').filter(Boolean), () => []);
      for (const id of ids) {
        const spec = await ctr(['containers', 'info', id]).then((r) => r.stdout, () => '');
        for (const m of spec.matchAll(/"path":\s*"(\/(?:var\/)?run\/netns\/[^"]+)"/g)) netns.add(m[1]!);
        await ctr(['tasks', 'kill', '-s', 'SIGKILL', id]).catch(() => undefined);
        await ctr(['tasks', 'delete', '-f', id]).catch(() => undefined);
      }
    }
    for (const s of [...services].reverse()) await s.stop();
    await controlPlane?.stop();
    for (const path of netns) {
      await run('umount', [path]).catch(() => undefined);
      await rm(path, { force: true });
    }
    await run(proxyBin, ['--cleanup']).catch(() => undefined);
    await removeKubeChains();
    await ip('link', 'delete', bridge).catch(() => undefined);
    await unmountAll(dir);
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await ip('link', 'add', 'name', bridge, 'type', 'bridge');
    await ip('addr', 'add', `${gateway}/24`, 'dev', bridge);
    await ip('link', 'set', bridge, 'up');

    controlPlane = await startControlPlane({
      address: gateway,
      serviceCidr,
      servingIps: [kubernetesServiceIp],
      servingDns: ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', `kubernetes.default.svc.${CLUSTER_DOMAIN}`],
      serviceAccountAdmission: true,
      // The kubelet's rights come from the Node authorizer, scoped to its own node and pods, as on a real cluster.
      authorizationMode: 'Node,RBAC',
      extraArgs: async (cpDir) => {
        await issueCert(cpDir, 'apiserver-kubelet-client', '/O=system:masters/CN=kube-apiserver-kubelet-client', 'extendedKeyUsage=clientAuth\n');
        return [
          '--kubelet-preferred-address-types=Hostname',
          `--kubelet-client-certificate=${join(cpDir, 'apiserver-kubelet-client.crt')}`,
          `--kubelet-client-key=${join(cpDir, 'apiserver-kubelet-client.key')}`,
          `--kubelet-certificate-authority=${join(cpDir, 'ca.crt')}`,
        ];
      },
    });
    const cp = controlPlane;
    // Every component's identity is a client certificate of the control plane's CA, as kubeadm issues them.
    const kubeconfig = (user: string, groups: string[] = []) => userKubeconfig(cp.dir, cp.server, user, groups);
    const nodeKubeconfig = await kubeconfig(`system:node:${NODE_NAME}`, ['system:nodes']);
    const schedulerKubeconfig = await kubeconfig('system:kube-scheduler');
    const controllerKubeconfig = await kubeconfig('system:kube-controller-manager');
    const proxyKubeconfig = await kubeconfig('system:kube-proxy');
    const dnsKubeconfig = await kubeconfig('posbon-test:coredns');
    await issueCert(cp.dir, 'kubelet-serving', `/CN=${NODE_NAME}`, 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    for (const f of ['ca.crt', 'kubelet-serving.crt', 'kubelet-serving.key']) await writeFile(join(dir, f), await readFile(join(cp.dir, f)));
    await dnsRbac(cp.kubeConfig(), 'posbon-test:coredns');

    log('containerd');
    const pause = await pauseImage(dir);
    await mkdir(join(dir, 'cni'));
    await writeFile(join(dir, 'containerd.toml'), containerdConfig(dir, pause.ref));
    await writeFile(join(dir, 'cni', '10-posbon.conflist'), cniConfig(dir, bridge, podCidr, gateway));
    const containerd = await spawnService('containerd', 'containerd', ['--config', join(dir, 'containerd.toml')]);
    services.push(containerd);
    await eventually(async () => {
      if (containerd.exited()) throw new GiveUp(`containerd exited:\n${(await containerd.logs()).slice(-3000)}`);
      await ctr(['version']);
    }, 30_000, 200);
    const importImage = async (archive: string) => {
      await ctr(['images', 'import', archive]);
    };
    await importImage(pause.archive);

    log('controller-manager, scheduler, kube-proxy, CoreDNS');
    const [controllerPort, schedulerPort, proxyHealthz, proxyMetrics, dnsHealth, kubeletPort] = await distinctPorts(6);
    services.push(
      await spawnService('kube-controller-manager', controllerManagerBin, [
        `--kubeconfig=${controllerKubeconfig}`,
        `--service-account-private-key-file=${join(cp.dir, 'sa.key')}`,
        `--root-ca-file=${join(cp.dir, 'ca.crt')}`,
        // Each controller acts as its own ServiceAccount, with the bootstrap roles' rights and no more.
        '--use-service-account-credentials=true',
        `--service-cluster-ip-range=${serviceCidr}`,
        '--leader-elect=false',
        '--bind-address=127.0.0.1',
        `--secure-port=${controllerPort}`,
        `--cert-dir=${join(dir, 'controller-manager')}`,
      ]),
      await spawnService('kube-scheduler', schedulerBin, [
        `--kubeconfig=${schedulerKubeconfig}`,
        '--leader-elect=false',
        '--bind-address=127.0.0.1',
        `--secure-port=${schedulerPort}`,
        `--cert-dir=${join(dir, 'scheduler')}`,
      ]),
      await spawnService('kube-proxy', proxyBin, [
        `--kubeconfig=${proxyKubeconfig}`,
        '--proxy-mode=iptables',
        `--hostname-override=${NODE_NAME}`,
        `--cluster-cidr=${podCidr}`,
        `--healthz-bind-address=127.0.0.1:${proxyHealthz}`,
        `--metrics-bind-address=127.0.0.1:${proxyMetrics}`,
        // Leave the machine's conntrack sysctls as they are (no CAP_SYS_RESOURCE, and other people's tests).
        '--conntrack-max-per-core=0',
        '--conntrack-tcp-timeout-established=0',
        '--conntrack-tcp-timeout-close-wait=0',
        '--iptables-localhost-nodeports=false',
      ]),
    );
    await writeFile(
      join(dir, 'Corefile'),
      `.:53 {\n  bind ${gateway}\n  errors\n  health 127.0.0.1:${dnsHealth}\n  kubernetes ${CLUSTER_DOMAIN} {\n    kubeconfig ${dnsKubeconfig}\n  }\n}\n`,
    );
    services.push(await spawnService('coredns', corednsBin, ['-conf', join(dir, 'Corefile')]));

    log('kubelet');
    await writeFile(join(dir, 'kubelet.yaml'), kubeletConfig(dir, kubeletPort!, gateway));
    const kubelet = await spawnService('kubelet', kubeletBin, [
      `--config=${join(dir, 'kubelet.yaml')}`,
      `--kubeconfig=${nodeKubeconfig}`,
      `--root-dir=${join(dir, 'kubelet')}`,
      `--cert-dir=${join(dir, 'kubelet-pki')}`,
      `--hostname-override=${NODE_NAME}`,
    ]);
    services.push(kubelet);
    const core = cp.kubeConfig().makeApiClient(CoreV1Api);
    await eventually(async () => {
      for (const s of services) if (s.exited()) throw new GiveUp(`${s.name} exited:\n${(await s.logs()).slice(-3000)}`);
      const node = await core.readNode({ name: NODE_NAME });
      const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready?.status !== 'True') throw new Error(`node not Ready: ${ready?.message ?? 'not registered'}`);
      if (node.spec?.taints?.length) throw new Error(`node still tainted: ${JSON.stringify(node.spec.taints)}`);
      const res = await fetch(`http://127.0.0.1:${dnsHealth}/health`);
      if (res.status !== 200) throw new Error(`CoreDNS health ${res.status}`);
    }, 120_000, 500);
    return {
      server: cp.server,
      kubeconfigPath: cp.kubeconfigPath,
      dir,
      gateway,
      podCidr,
      serviceCidr,
      kubeConfig: () => cp.kubeConfig(),
      kubectl: async (args) => (await run(kubectlBin, ['--kubeconfig', cp.kubeconfigPath, ...args], { maxBuffer: 16 * 1024 * 1024 })).stdout,
      importImage,
      podDir: (uid) => join(dir, 'kubelet', 'pods', uid),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Read access to what CoreDNS's kubernetes plugin watches, for its own user. */
async function dnsRbac(kc: KubeConfig, user: string): Promise<void> {
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const name = 'posbon-test:coredns';
  await rbac.createClusterRole({
    body: {
      metadata: { name },
      rules: [
        { apiGroups: [''], resources: ['services', 'namespaces'], verbs: ['list', 'watch'] },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
      ],
    },
  });
  await rbac.createClusterRoleBinding({
    body: { metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name }, subjects: [{ kind: 'User', name: user, apiGroup: 'rbac.authorization.k8s.io' }] },
  });
}

/**
 * Evicts every pod through a NoExecute taint and waits for the kubelet to stop them, so their sandboxes' networks
 * are torn down by CNI rather than left behind; whatever is still running after a minute is killed by the caller.
 */
async function drain(cp: ControlPlane, log: (line: string) => void): Promise<void> {
  const core = cp.kubeConfig().makeApiClient(CoreV1Api);
  try {
    const node = await core.readNode({ name: NODE_NAME });
    const taints = [...(node.spec?.taints ?? []), { key: 'posbon.io/test-node-stopping', effect: 'NoExecute' }];
    await core.patchNode({ name: NODE_NAME, body: [{ op: 'add', path: '/spec/taints', value: taints }] });
    await eventually(async () => {
      const pods = await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${NODE_NAME}` });
      if (pods.items.length > 0) throw new Error(`${pods.items.length} pods still on the node`);
    }, 60_000, 500);
  } catch (error) {
    log(`drain: ${error instanceof Error ? error.message : String(error)}`);
  }
}
