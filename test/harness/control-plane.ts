// A real control plane for tests: etcd and kube-apiserver on free loopback ports, with generated certificates.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { etcd, ensureTool, kubeApiserver, type Tool } from '../tools/tools.js';
import { GiveUp, eventually, freePort, harnessDir, spawnService, waitForPort, type Service } from './process.js';

const run = promisify(execFile);

export interface ControlPlane {
  server: string;
  /** A kubeconfig file for the cluster admin (group system:masters). */
  kubeconfigPath: string;
  dir: string;
  kubeConfig(): KubeConfig;
  /** A kubeconfig file for another identity, to test RBAC as that user sees it. */
  kubeconfigFor(user: string, groups?: string[]): Promise<string>;
  /** The processes behind it, for benchmarks that read their CPU time. */
  pids: { etcd: number; apiserver: number };
  stop(): Promise<void>;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir });
}

export async function issueCert(dir: string, name: string, subject: string, extensions: string): Promise<void> {
  await openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`]);
  await openssl(dir, ['req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
  await writeFile(join(dir, `${name}.ext`), extensions);
  await openssl(dir, [
    'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
    '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`,
  ]);
}

async function writeKubeconfig(dir: string, server: string, name: string): Promise<string> {
  const b64 = async (file: string) => (await readFile(join(dir, file))).toString('base64');
  const path = join(dir, `${name}.kubeconfig`);
  await writeFile(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'posbon-test', cluster: { server, 'certificate-authority-data': await b64('ca.crt') } }],
      users: [{ name, user: { 'client-certificate-data': await b64(`${name}.crt`), 'client-key-data': await b64(`${name}.key`) } }],
      contexts: [{ name, context: { cluster: 'posbon-test', user: name } }],
      'current-context': name,
    }),
    { mode: 0o600 },
  );
  return path;
}

/** A GET to the API server with the kubeconfig's TLS identity, for endpoints no typed client covers. */
export async function getRaw(kc: KubeConfig, path: string): Promise<{ status: number; body: string }> {
  const options: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(options);
  const url = new URL(path, kc.getCurrentCluster()!.server);
  return new Promise((resolve, reject) => {
    const req = https.get(url, options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

const kubeConfigFrom = (path: string): KubeConfig => {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
};

/** A kubeconfig file for a user whose client certificate the cluster's CA signs. */
export async function userKubeconfig(dir: string, server: string, user: string, groups: string[] = []): Promise<string> {
  const safe = user.replace(/[^a-zA-Z0-9-]/g, '-');
  const subject = [...groups.map((g) => `/O=${g}`), `/CN=${user}`].join('');
  await issueCert(dir, safe, subject, 'extendedKeyUsage=clientAuth\n');
  return writeKubeconfig(dir, server, safe);
}

export interface ControlPlaneOptions {
  /** Where the API server listens and what it advertises as the `kubernetes` Service's endpoint; loopback by default. */
  address?: string;
  serviceCidr?: string;
  /** More names of the serving certificate, e.g. the `kubernetes` Service's ClusterIP that pods dial. */
  servingIps?: string[];
  servingDns?: string[];
  /** `Node,RBAC` when a kubelet joins: its rights then come from the Node authorizer, scoped to its own pods. */
  authorizationMode?: string;
  /** Pods get ServiceAccount tokens: needed only when a kubelet runs them. */
  serviceAccountAdmission?: boolean;
  /** Flags added to the API server's, for certificates issued in `dir` before it starts. */
  extraArgs?: (dir: string) => Promise<string[]>;
  /** Another pinned kube-apiserver release than the default one, e.g. the oldest supported. */
  apiserver?: Tool;
}

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const address = options.address ?? '127.0.0.1';
  const [etcdBin, apiserverBin] = [await ensureTool(etcd, console.log), await ensureTool(options.apiserver ?? kubeApiserver, console.log)];
  const dir = await harnessDir('control-plane');
  await openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key']);
  await openssl(dir, ['req', '-x509', '-new', '-key', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=posbon-test-ca']);
  const sans = [
    'DNS:localhost',
    ...(options.servingDns ?? []).map((d) => `DNS:${d}`),
    ...new Set(['127.0.0.1', address, ...(options.servingIps ?? [])].map((ip) => `IP:${ip}`)),
  ];
  await issueCert(dir, 'serving', '/CN=localhost', `subjectAltName=${sans.join(',')}\nextendedKeyUsage=serverAuth\n`);
  await issueCert(dir, 'admin', '/O=system:masters/CN=posbon-admin', 'extendedKeyUsage=clientAuth\n');
  await openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'sa.key']);
  await openssl(dir, ['ec', '-in', 'sa.key', '-pubout', '-out', 'sa.pub']);

  const [clientPort, peerPort, securePort] = [await freePort(), await freePort(), await freePort()];
  const services: Service[] = [];
  const stop = async () => {
    for (const s of services.reverse()) await s.stop();
  };
  try {
    const etcdService = await spawnService('etcd', etcdBin, [
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${clientPort}`,
      `--advertise-client-urls=http://127.0.0.1:${clientPort}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
      '--unsafe-no-fsync',
      '--quota-backend-bytes=8589934592',
    ]);
    services.push(etcdService);
    await waitForPort(clientPort, etcdService);

    const apiserver = await spawnService('kube-apiserver', apiserverBin, [
      `--etcd-servers=http://127.0.0.1:${clientPort}`,
      `--secure-port=${securePort}`,
      `--bind-address=${address}`,
      ...(address === '127.0.0.1' ? [] : [`--advertise-address=${address}`]),
      `--tls-cert-file=${join(dir, 'serving.crt')}`,
      `--tls-private-key-file=${join(dir, 'serving.key')}`,
      `--client-ca-file=${join(dir, 'ca.crt')}`,
      `--service-cluster-ip-range=${options.serviceCidr ?? '10.0.0.0/24'}`,
      `--authorization-mode=${options.authorizationMode ?? 'RBAC'}`,
      '--service-account-issuer=https://localhost',
      `--service-account-key-file=${join(dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
      ...(options.serviceAccountAdmission ? [] : ['--disable-admission-plugins=ServiceAccount']),
      '--allow-privileged=true',
      `--cert-dir=${join(dir, 'certs')}`,
      ...((await options.extraArgs?.(dir)) ?? []),
    ]);
    services.push(apiserver);
    const server = `https://${address}:${securePort}`;
    const kubeconfigPath = await writeKubeconfig(dir, server, 'admin');
    await waitForPort(securePort, apiserver, 120_000, address);
    const kc = kubeConfigFrom(kubeconfigPath);
    await eventually(async () => {
      if (apiserver.exited()) throw new GiveUp(`kube-apiserver exited:\n${(await apiserver.logs()).slice(-3000)}`);
      const { status, body } = await getRaw(kc, '/readyz');
      if (status !== 200) throw new Error(`readyz ${status}: ${body}`);
    }, 120_000, 250);
    return {
      server,
      kubeconfigPath,
      dir,
      kubeConfig: () => kubeConfigFrom(kubeconfigPath),
      kubeconfigFor: (user, groups = []) => userKubeconfig(dir, server, user, groups),
      pids: { etcd: etcdService.pid, apiserver: apiserver.pid },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
