// The real servers the tests run against, built from pinned Go modules into a cache outside the repo.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Tool {
  name: string;
  version: string;
  /** The executable's file name inside the tool's cache folder. */
  binary: string;
  build(ctx: BuildContext): Promise<void>;
}

export interface BuildContext {
  /** A scratch folder, removed after the build. */
  work: string;
  /** The final path of the binary. */
  output: string;
  log(line: string): void;
}

export const toolsCacheDir = (): string =>
  process.env.POSBON_TOOLS_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'posbon', 'tools');

export const toolPath = (tool: Tool): string => join(toolsCacheDir(), `${tool.name}-${tool.version}`, tool.binary);

export const isBuilt = (tool: Tool): boolean => existsSync(toolPath(tool));

const goEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  CGO_ENABLED: '0',
  GOFLAGS: '-mod=mod -buildvcs=false',
  // The go directives of the pinned modules fit the installed toolchain; never fetch another.
  GOTOOLCHAIN: 'local',
});

async function go(cwd: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run('go', args, { cwd, env: goEnv(), maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error('Go is not installed: the test tools are built from Go modules (https://go.dev/dl)');
    throw new Error(`go ${args.join(' ')} failed:\n${(e.stderr ?? String(e)).slice(-4000)}`);
  }
}

async function moduleDir(cwd: string, module: string, version: string): Promise<string> {
  const out = await go(cwd, ['mod', 'download', '-json', `${module}@${version}`]);
  const info = JSON.parse(out) as { Dir?: string; Error?: string };
  if (!info.Dir) throw new Error(`cannot download ${module}@${version}: ${info.Error ?? 'no folder'}`);
  return info.Dir;
}

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
const MEDIAMTX = '1.20.1';

export const kubeApiserver: Tool = {
  name: 'kube-apiserver',
  version: KUBERNETES,
  binary: 'kube-apiserver',
  build: (ctx) =>
    buildThroughWrapper(ctx, {
      module: 'k8s.io/kubernetes',
      version: `v${KUBERNETES}`,
      pkg: 'k8s.io/kubernetes/cmd/kube-apiserver',
      // Staging modules are published as v0.<minor>.<patch> of the same release.
      replaceVersion: (m) => (m.startsWith('k8s.io/') ? `v0${KUBERNETES.slice(KUBERNETES.indexOf('.'))}` : undefined),
      tags: ['selinux', 'notest'],
      ldflags: [
        `-X k8s.io/component-base/version.gitVersion=v${KUBERNETES}`,
        `-X k8s.io/component-base/version.gitMajor=1`,
        `-X k8s.io/component-base/version.gitMinor=${KUBERNETES.split('.')[1]}`,
        '-s -w',
      ].join(' '),
    }),
};

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

export const mediamtx: Tool = {
  name: 'mediamtx',
  version: MEDIAMTX,
  binary: 'mediamtx',
  async build(ctx) {
    await writeFile(join(ctx.work, 'go.mod'), 'module posbon.local/tools\n\ngo 1.26\n');
    const dir = await moduleDir(ctx.work, 'github.com/bluenviron/mediamtx', `v${MEDIAMTX}`);
    const src = join(ctx.work, 'mediamtx');
    await cp(dir, src, { recursive: true });
    await run('chmod', ['-R', 'u+w', src]);
    // Two embedded files are git-ignored upstream, so the module lacks them.
    await writeFile(join(src, 'internal/core/VERSION'), `v${MEDIAMTX}`);
    const hlsVersion = (await readFile(join(src, 'internal/servers/hls/hlsjsdownloader/VERSION'), 'utf8')).trim();
    ctx.log(`fetching hls.js ${hlsVersion} from the npm registry`);
    const { stdout } = await run('npm', ['pack', `hls.js@${hlsVersion.replace(/^v/, '')}`, '--silent'], { cwd: ctx.work });
    await run('tar', ['-xzf', join(ctx.work, stdout.trim().split('\n').pop()!), '-C', ctx.work]);
    await cp(join(ctx.work, 'package/dist/hls.min.js'), join(src, 'internal/servers/hls/hls.min.js'));
    ctx.log('compiling mediamtx');
    await go(src, ['build', '-ldflags', '-s -w', '-o', ctx.output, '.']);
  },
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

/** Builds another command of the pinned Kubernetes release through the same wrapper as the apiserver. */
const kubernetesCommand = (command: string): Tool => ({
  name: command,
  version: KUBERNETES,
  binary: command,
  build: (ctx) =>
    buildThroughWrapper(ctx, {
      module: 'k8s.io/kubernetes',
      version: `v${KUBERNETES}`,
      pkg: `k8s.io/kubernetes/cmd/${command}`,
      replaceVersion: (m) => (m.startsWith('k8s.io/') ? `v0${KUBERNETES.slice(KUBERNETES.indexOf('.'))}` : undefined),
      tags: ['selinux', 'notest'],
      ldflags: [
        `-X k8s.io/component-base/version.gitVersion=v${KUBERNETES}`,
        `-X k8s.io/component-base/version.gitMajor=1`,
        `-X k8s.io/component-base/version.gitMinor=${KUBERNETES.split('.')[1]}`,
        '-s -w',
      ].join(' '),
    }),
});

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

/** The chart's schema versions: the oldest supported Kubernetes and the newest pinned. */
export const SCHEMA_KUBERNETES = ['1.31.14', KUBERNETES] as const;

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
export const ALL_TOOLS: Tool[] = [etcd, kubeApiserver, mediamtx, gitea, fluxCrds, argoCdCrds, ...CHART_TOOLS];
/** Built when a benchmark first asks for them. */
export const BENCH_TOOLS: Tool[] = [vegeta];

/** One build of a tool at a time across processes (parallel test runs, several checkouts). */
async function lockBuild(folder: string, tool: Tool, log: (line: string) => void): Promise<() => Promise<void>> {
  const lock = join(folder, '.building');
  let announced = false;
  for (;;) {
    try {
      await mkdir(lock);
      await writeFile(join(lock, 'pid'), String(process.pid));
      return () => rm(lock, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(await readFile(join(lock, 'pid'), 'utf8').catch(() => '0'));
      if (owner > 0 && !processAlive(owner)) {
        await rm(lock, { recursive: true, force: true });
        continue;
      }
      if (!announced) log(`[${tool.name}] waiting for another process building it`);
      announced = true;
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function ensureTool(tool: Tool, log: (line: string) => void): Promise<string> {
  const output = toolPath(tool);
  if (existsSync(output)) return output;
  const started = Date.now();
  const folder = join(toolsCacheDir(), `${tool.name}-${tool.version}`);
  await mkdir(folder, { recursive: true });
  const release = await lockBuild(folder, tool, log);
  if (existsSync(output)) {
    await release();
    return output;
  }
  const work = await mkdtemp(join(tmpdir(), `posbon-${tool.name}-`));
  const partial = `${output}.partial`;
  try {
    await tool.build({ work, output: partial, log: (line) => log(`[${tool.name}] ${line}`) });
    await chmod(partial, 0o755);
    // Renamed last, so an interrupted build never looks finished.
    await run('mv', [partial, output]);
  } finally {
    await rm(work, { recursive: true, force: true });
    await release();
  }
  log(`[${tool.name}] built ${tool.version} in ${((Date.now() - started) / 1000).toFixed(0)} s → ${output}`);
  return output;
}
