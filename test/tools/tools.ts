// The real servers the tests run against, built from pinned Go modules into a cache outside the repo (lib/tools).
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ensureTool, go, goEnv, isBuilt, moduleDir, run, toolPath, toolsCacheDir, type BuildContext, type Tool } from '../../lib/tools/go-build.js';
import { mediamtx } from '../../lib/tools/mediamtx.js';

export { ensureTool, isBuilt, mediamtx, toolPath, toolsCacheDir, type BuildContext, type Tool };

/** Local `=> ./path` replaces of a module's go.mod, which `go install` refuses and a wrapper must pin instead. */
async function localReplaces(dir: string): Promise<string[]> {
  const gomod = await readFile(join(dir, 'go.mod'), 'utf8');
  return [...gomod.matchAll(/^\s*(?:replace\s+)?(\S+)\s+=>\s+\.\.?\//gm)].map((m) => m[1]!);
}

interface WrapperBuild {
  module: string;
  version: string;
  pkg: string;
  /** The version each locally replaced module resolves to. */
  replaceVersion: (module: string) => string | undefined;
  tags?: string[];
  ldflags?: string;
}

/** Builds a main package of a module whose go.mod has local replaces, through a throwaway wrapper module. */
async function buildThroughWrapper(ctx: BuildContext, spec: WrapperBuild): Promise<void> {
  await writeFile(join(ctx.work, 'go.mod'), 'module posbon.local/tools\n\ngo 1.26\n');
  const dir = await moduleDir(ctx.work, spec.module, spec.version);
  const replaces = (await localReplaces(dir))
    .map((m) => [m, spec.replaceVersion(m)] as const)
    .filter((r): r is readonly [string, string] => r[1] !== undefined)
    .map(([m, v]) => `replace ${m} => ${m} ${v}\n`);
  await writeFile(
    join(ctx.work, 'go.mod'),
    `module posbon.local/tools\n\ngo 1.26\n\nrequire ${spec.module} ${spec.version}\n\n${replaces.join('')}`,
  );
  ctx.log(`resolving ${spec.module}@${spec.version} (${replaces.length} pinned replaces)`);
  await go(ctx.work, ['get', `${spec.pkg}@${spec.version}`]);
  ctx.log(`compiling ${spec.pkg}`);
  const args = ['build', '-o', ctx.output];
  if (spec.tags) args.push('-tags', spec.tags.join(','));
  if (spec.ldflags) args.push('-ldflags', spec.ldflags);
  await go(ctx.work, [...args, spec.pkg]);
}

const KUBERNETES = '1.36.3';
const ETCD = '3.6.8';

/** The oldest Kubernetes Posbon supports (CEL IP and CIDR functions): the workload suite runs against it too. */
export const OLDEST_KUBERNETES = '1.31.14';

/** A command of a pinned Kubernetes release, built through the wrapper module (staging modules pinned to v0.<minor>.<patch>). */
const kubernetesCommand = (command: string, release = KUBERNETES): Tool => ({
  name: command,
  version: release,
  binary: command,
  build: (ctx) =>
    buildThroughWrapper(ctx, {
      module: 'k8s.io/kubernetes',
      version: `v${release}`,
      pkg: `k8s.io/kubernetes/cmd/${command}`,
      replaceVersion: (m) => (m.startsWith('k8s.io/') ? `v0${release.slice(release.indexOf('.'))}` : undefined),
      tags: ['selinux', 'notest'],
      ldflags: [
        `-X k8s.io/component-base/version.gitVersion=v${release}`,
        `-X k8s.io/component-base/version.gitMajor=1`,
        `-X k8s.io/component-base/version.gitMinor=${release.split('.')[1]}`,
        '-s -w',
      ].join(' '),
    }),
});

export const kubeApiserver = kubernetesCommand('kube-apiserver');
export const oldestKubeApiserver = kubernetesCommand('kube-apiserver', OLDEST_KUBERNETES);

export const etcd: Tool = {
  name: 'etcd',
  version: ETCD,
  binary: 'etcd',
  build: (ctx) =>
    buildThroughWrapper(ctx, {
      module: 'go.etcd.io/etcd/server/v3',
      version: `v${ETCD}`,
      pkg: 'go.etcd.io/etcd/server/v3',
      replaceVersion: (m) => (m.startsWith('go.etcd.io/etcd/') && m !== 'go.etcd.io/etcd' ? `v${ETCD}` : undefined),
      ldflags: '-s -w',
    }),
};

const GITEA = '1.26.0';

/** Where the Gitea tool keeps the templates, options and public files it serves from disk (no bindata build). */
export const giteaStaticRoot = (): string => join(dirname(toolPath(gitea)), 'static');

export const gitea: Tool = {
  name: 'gitea',
  version: GITEA,
  binary: 'gitea',
  async build(ctx) {
    await writeFile(join(ctx.work, 'go.mod'), 'module posbon.local/tools\n\ngo 1.26\n');
    // Built as the main module from a copy, so its own replace directives (non-local) apply as written.
    const dir = await moduleDir(ctx.work, 'code.gitea.io/gitea', `v${GITEA}`);
    const src = join(ctx.work, 'gitea');
    await cp(dir, src, { recursive: true });
    await run('chmod', ['-R', 'u+w', src]);
    // Without the bindata tag Gitea reads templates, options and public files from STATIC_ROOT_PATH.
    const staticRoot = join(dirname(ctx.output), 'static');
    await rm(staticRoot, { recursive: true, force: true });
    for (const folder of ['templates', 'options', 'public']) await cp(join(src, folder), join(staticRoot, folder), { recursive: true });
    ctx.log('compiling gitea (no cgo: PostgreSQL, no SQLite)');
    await go(src, ['build', '-ldflags', `-X main.Version=${GITEA} -s -w`, '-o', ctx.output, '.']);
  },
};

/** A module's zip as the proxy served it (checksum-verified); read even when its go directive is newer than this Go. */
async function moduleZip(cwd: string, module: string, version: string): Promise<string> {
  const out = await run('go', ['mod', 'download', '-json', `${module}@${version}`], { cwd, env: goEnv(), maxBuffer: 16 * 1024 * 1024 }).then(
    (r) => r.stdout,
    (e: { stdout?: string }) => e.stdout ?? '',
  );
  const info = JSON.parse(out || '{}') as { Zip?: string; Error?: string };
  if (!info.Zip) throw new Error(`cannot download ${module}@${version}: ${info.Error ?? 'no zip'}`);
  return info.Zip;
}

/** Joins YAML files from modules' zips into one multi-document file: third-party CRDs as test data, never committed. */
async function crdBundle(ctx: BuildContext, files: { module: string; version: string; path: string }[]): Promise<void> {
  await writeFile(join(ctx.work, 'go.mod'), 'module posbon.local/tools\n\ngo 1.26\n');
  const docs: string[] = [];
  for (const f of files) {
    const zip = await moduleZip(ctx.work, f.module, f.version);
    ctx.log(`extracting ${f.path} from ${f.module}@${f.version}`);
    const { stdout } = await run('unzip', ['-p', zip, `${f.module}@${f.version}/${f.path}`], { maxBuffer: 64 * 1024 * 1024 });
    if (!stdout.trim()) throw new Error(`${f.path} is not in ${f.module}@${f.version}`);
    docs.push(stdout.replace(/^---\n/, ''));
  }
  await writeFile(ctx.output, docs.join('\n---\n'));
}

const FLUX = '1.10.1';
const ARGO_CD = '3.6.1';

/** Flux's GitRepository and Kustomization CRDs. */
export const fluxCrds: Tool = {
  name: 'flux-crds',
  version: FLUX,
  binary: 'crds.yaml',
  build: (ctx) =>
    crdBundle(ctx, [
      { module: 'github.com/fluxcd/source-controller', version: `v${FLUX}`, path: 'config/crd/bases/source.toolkit.fluxcd.io_gitrepositories.yaml' },
      { module: 'github.com/fluxcd/kustomize-controller', version: `v${FLUX}`, path: 'config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml' },
    ]),
};

/** Argo CD's Application and AppProject CRDs. */
export const argoCdCrds: Tool = {
  name: 'argocd-crds',
  version: ARGO_CD,
  binary: 'crds.yaml',
  build: (ctx) =>
    crdBundle(ctx, [
      { module: 'github.com/argoproj/argo-cd/v3', version: `v${ARGO_CD}`, path: 'manifests/crds/application-crd.yaml' },
      { module: 'github.com/argoproj/argo-cd/v3', version: `v${ARGO_CD}`, path: 'manifests/crds/appproject-crd.yaml' },
    ]),
};

const CERT_MANAGER = '1.21.2';

/** cert-manager's Certificate, Issuer and ClusterIssuer CRDs: the operator renders Certificates for media nodes. */
export const certManagerCrds: Tool = {
  name: 'cert-manager-crds',
  version: CERT_MANAGER,
  binary: 'crds.yaml',
  build: (ctx) =>
    crdBundle(
      ctx,
      ['certificates', 'issuers', 'clusterissuers'].map((plural) => ({
        module: 'github.com/cert-manager/cert-manager',
        version: `v${CERT_MANAGER}`,
        path: `deploy/crds/cert-manager.io_${plural}.yaml`,
      })),
    ),
};

const PROMETHEUS = '0.316.0';

/**
 * promtool checks and unit-tests the chart's alert rules; the module has no local replaces, so it builds directly.
 * `remove_all_sd` leaves out every service-discovery plugin (cloud SDKs, client-go): rule tests need none of them.
 */
export const promtool: Tool = {
  name: 'promtool',
  version: PROMETHEUS,
  binary: 'promtool',
  async build(ctx) {
    await writeFile(join(ctx.work, 'go.mod'), 'module posbon.local/tools\n\ngo 1.26\n');
    ctx.log(`resolving github.com/prometheus/prometheus@v${PROMETHEUS}`);
    await go(ctx.work, ['get', `github.com/prometheus/prometheus/cmd/promtool@v${PROMETHEUS}`]);
    ctx.log('compiling promtool');
    await go(ctx.work, ['build', '-tags', 'remove_all_sd', '-ldflags', '-s -w', '-o', ctx.output, 'github.com/prometheus/prometheus/cmd/promtool']);
  },
};

const VEGETA = '12.12.0';

/**
 * The benchmarks' HTTP load generator: an open-model constant rate (no coordinated omission) with microsecond
 * latencies, in a process that costs the machine far less than a Node.js one. Built on demand, not by CI.
 */
export const vegeta: Tool = {
  name: 'vegeta',
  version: VEGETA,
  binary: 'vegeta',
  async build(ctx) {
    await writeFile(join(ctx.work, 'go.mod'), 'module posbon.local/tools\n\ngo 1.26\n');
    ctx.log(`resolving github.com/tsenart/vegeta/v12@v${VEGETA}`);
    await go(ctx.work, ['get', `github.com/tsenart/vegeta/v12@v${VEGETA}`]);
    ctx.log('compiling vegeta');
    await go(ctx.work, ['build', '-ldflags', '-s -w', '-o', ctx.output, 'github.com/tsenart/vegeta/v12']);
  },
};

export const kubectl = kubernetesCommand('kubectl');
export const kubelet = kubernetesCommand('kubelet');
export const kubeScheduler = kubernetesCommand('kube-scheduler');
export const kubeControllerManager = kubernetesCommand('kube-controller-manager');

/** A main package of a module without local replaces, installed as a plain `go build`. */
const goCommand = (name: string, module: string, version: string, pkg: string, ldflags = '-s -w'): Tool => ({
  name,
  version,
  binary: name,
  async build(ctx) {
    await writeFile(join(ctx.work, 'go.mod'), 'module posbon.local/tools\n\ngo 1.26\n');
    ctx.log(`resolving ${module}@v${version}`);
    await go(ctx.work, ['get', `${pkg}@v${version}`]);
    ctx.log(`compiling ${pkg}`);
    await go(ctx.work, ['build', '-ldflags', ldflags, '-o', ctx.output, pkg]);
  },
});

const HELM = '3.22.0';
const KUBECONFORM = '0.8.0';
export const helm = goCommand('helm', 'helm.sh/helm/v3', HELM, 'helm.sh/helm/v3/cmd/helm', `-X helm.sh/helm/v3/internal/version.version=v${HELM} -s -w`);
export const kubeconform = goCommand('kubeconform', 'github.com/yannh/kubeconform', KUBECONFORM, 'github.com/yannh/kubeconform/cmd/kubeconform');

const VERSITYGW = '1.8.0';
/** An S3-compatible server over a folder: the backup target of the restore drill, as Hetzner's Object Storage is in production. */
export const versitygw = goCommand(
  'versitygw',
  'github.com/versity/versitygw',
  VERSITYGW,
  'github.com/versity/versitygw/cmd/versitygw',
  `-X main.Version=v${VERSITYGW} -s -w`,
);

/** The chart's schema versions: the oldest supported Kubernetes and the newest pinned. */
export const SCHEMA_KUBERNETES = [OLDEST_KUBERNETES, KUBERNETES] as const;

/** A release's OpenAPI document (api/openapi-spec/swagger.json of k8s.io/kubernetes), the source of kubeconform's schemas. */
export const kubernetesOpenApi = (version: string): Tool => ({
  name: 'kubernetes-openapi',
  version,
  binary: 'swagger.json',
  build: (ctx) => crdBundle(ctx, [{ module: 'k8s.io/kubernetes', version: `v${version}`, path: 'api/openapi-spec/swagger.json' }]),
});

const PROMETHEUS_OPERATOR = '0.85.0';

/** The Prometheus operator's ServiceMonitor and PrometheusRule CRDs. */
export const prometheusOperatorCrds: Tool = {
  name: 'prometheus-operator-crds',
  version: PROMETHEUS_OPERATOR,
  binary: 'crds.yaml',
  build: (ctx) =>
    crdBundle(
      ctx,
      ['servicemonitors', 'prometheusrules'].map((r) => ({
        module: 'github.com/prometheus-operator/prometheus-operator',
        version: `v${PROMETHEUS_OPERATOR}`,
        path: `example/prometheus-operator-crd/monitoring.coreos.com_${r}.yaml`,
      })),
    ),
};

/** The chart's checks: helm, kubeconform, and the schemas they validate against. */
export const CHART_TOOLS: Tool[] = [
  helm,
  kubeconform,
  ...SCHEMA_KUBERNETES.map(kubernetesOpenApi),
  certManagerCrds,
  prometheusOperatorCrds,
];
/** A real node for running the chart's pods (kubelet, scheduler, controller-manager, kubectl); built on demand, not by CI yet. */
export const CLUSTER_TOOLS: Tool[] = [kubectl, kubelet, kubeScheduler, kubeControllerManager];

/** What the tests need; `npm run tools` and CI build these. */
export const ALL_TOOLS: Tool[] = [etcd, kubeApiserver, oldestKubeApiserver, mediamtx, gitea, fluxCrds, argoCdCrds, promtool, versitygw, ...CHART_TOOLS];
/** Built when a benchmark first asks for them. */
export const BENCH_TOOLS: Tool[] = [vegeta];
