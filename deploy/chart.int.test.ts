// charts/posbon as a platform engineer meets it: lint, schema validation against two Kubernetes releases and the
// CRDs it uses, then a real install into the test API server under PSS restricted and RBAC, with what each
// ServiceAccount may do proven by SubjectAccessReviews.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AuthorizationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { CHART_DIR } from './chart.js';
import { crdSchemas, kubernetesSchemas } from '../test/harness/kube-schemas.js';
import { testKubeConfig } from '../test/harness/index.js';
import {
  certManagerCrds,
  ensureTool,
  helm as helmTool,
  kubeconform as kubeconformTool,
  kubernetesOpenApi,
  prometheusOperatorCrds,
  SCHEMA_KUBERNETES,
} from '../test/tools/tools.js';

const run = promisify(execFile);
const log = () => {};
let helm: string;
let kubeconform: string;
let work: string;

beforeAll(async () => {
  [helm, kubeconform] = await Promise.all([ensureTool(helmTool, log), ensureTool(kubeconformTool, log)]);
  work = await mkdtemp(join(tmpdir(), 'posbon-chart-'));
}, 900_000);
afterAll(() => rm(work, { recursive: true, force: true }));

const values = (name: 'default' | 'full') => join(CHART_DIR, 'ci', `${name}-values.yaml`);

async function template(valuesFile: string, kubeVersion: string, extra: string[] = []): Promise<string> {
  const { stdout } = await run(helm, ['template', 'posbon', CHART_DIR, '-n', 'posbon-system', '-f', valuesFile, '--kube-version', kubeVersion, '--include-crds', ...extra], {
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

it('passes helm lint --strict with the least and with every option', async () => {
  for (const name of ['default', 'full'] as const) {
    const { stdout } = await run(helm, ['lint', '--strict', CHART_DIR, '-f', values(name)]);
    expect(stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
  }
});

describe('kubeconform -strict', () => {
  let locations: string[];
  beforeAll(async () => {
    const schemas = join(work, 'schemas');
    locations = [];
    for (const version of SCHEMA_KUBERNETES) {
      const swagger = await ensureTool(kubernetesOpenApi(version), log);
      locations[0] = await kubernetesSchemas(swagger, version, schemas);
    }
    const crdFiles = [
      ...(await readdir(join(CHART_DIR, 'crds'))).map((f) => join(CHART_DIR, 'crds', f)),
      await ensureTool(certManagerCrds, log),
      await ensureTool(prometheusOperatorCrds, log),
    ];
    locations[1] = await crdSchemas(crdFiles, schemas);
  }, 900_000);

  const validate = async (manifest: string, version: string) => {
    const file = join(work, `rendered-${version}.yaml`);
    await writeFile(file, manifest);
    const args = ['-strict', '-summary', '-output', 'json', '-kubernetes-version', version, ...locations.flatMap((l) => ['-schema-location', l]), file];
    const { stdout } = await run(kubeconform, args, { maxBuffer: 16 * 1024 * 1024 }).catch((e: { stdout: string }) => ({ stdout: e.stdout }));
    return JSON.parse(stdout) as { resources: Array<{ kind: string; name: string; status: string; msg: string }>; summary: Record<string, number> };
  };

  it.each(SCHEMA_KUBERNETES.flatMap((version) => (['default', 'full'] as const).map((name) => [version, name] as const)))(
    'validates every rendered object against Kubernetes %s with the %s values',
    async (version, name) => {
      const manifest = await template(values(name), version);
      const kinds = parseAllDocuments(manifest).map((d) => (d.toJS() as { kind?: string } | null)?.kind).filter(Boolean);
      const result = await validate(manifest, version);
      expect(result.resources.filter((r) => r.status !== 'statusValid')).toEqual([]);
      expect(result.summary).toEqual({ valid: kinds.length, invalid: 0, errors: 0, skipped: 0 });
    },
  );

  it('rejects an unknown field, so the validation above is strict', async () => {
    const manifest = (await template(values('default'), SCHEMA_KUBERNETES[0])).replace('terminationGracePeriodSeconds: 30', 'terminationGracePeriodSecond: 30');
    const result = await validate(manifest, SCHEMA_KUBERNETES[0]);
    expect(result.resources.filter((r) => r.status !== 'statusValid').map((r) => [r.kind, r.status])).toEqual([
      ['Deployment', 'statusInvalid'],
    ]);
  });
});

describe('helm install into the test API server', () => {
  const kc = testKubeConfig();
  const suffix = Math.random().toString(16).slice(2, 8);
  const release = `p${suffix}`;
  const ns = { system: `posbon-system-${suffix}`, fleet: `posbon-${suffix}`, media: `posbon-media-${suffix}` };
  const fullname = `${release}-posbon`;
  let kubeconfig: string;
  let installed: { stdout: string; stderr: string };

  beforeAll(async () => {
    kubeconfig = process.env.POSBON_TEST_KUBECONFIG!;
    const core = kc.makeApiClient(CoreV1Api);
    // PSS restricted, enforced by the API server's built-in PodSecurity admission.
    const pss = { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/warn': 'restricted' };
    for (const name of Object.values(ns)) await core.createNamespace({ body: { metadata: { name, labels: pss } } });
    const certManager = await ensureTool(certManagerCrds, log);
    // The default values render a cert-manager Certificate; its CRD must be served.
    await applyFile(kc, certManager);
    installed = await run(
      helm,
      ['install', release, CHART_DIR, '--kubeconfig', kubeconfig, '-n', ns.system, '-f', values('default'),
        '--set', `fleetNamespace=${ns.fleet}`, '--set', `mediaNamespace=${ns.media}`,
        // Hooks are Jobs, and this API server has no controller to run them: their objects are checked below.
        '--no-hooks', '--wait=false'],
      { maxBuffer: 16 * 1024 * 1024 },
    );
  }, 300_000);

  afterAll(async () => {
    await run(helm, ['uninstall', release, '--kubeconfig', kubeconfig, '-n', ns.system]).catch(() => undefined);
    const core = kc.makeApiClient(CoreV1Api);
    for (const name of Object.values(ns)) await core.deleteNamespace({ name }).catch(() => undefined);
  });

  it('installs with no PodSecurity or other warning', () => {
    expect(installed.stderr).toBe('');
    expect(installed.stdout).toContain('STATUS: deployed');
  });

  it('admits every pod the chart makes, hooks included, in a restricted namespace', async () => {
    const manifest = await template(values('default'), SCHEMA_KUBERNETES[1], ['--set', `fleetNamespace=${ns.fleet}`, '--set', `mediaNamespace=${ns.media}`]);
    const core = kc.makeApiClient(CoreV1Api);
    const admitted: string[] = [];
    for (const doc of parseAllDocuments(manifest)) {
      const o = doc.toJS() as { kind?: string; metadata: { name: string }; spec: any } | null;
      const template = o?.kind === 'CronJob' ? o.spec.jobTemplate.spec.template : ['Deployment', 'Job'].includes(o?.kind ?? '') ? o!.spec.template : undefined;
      if (!template) continue;
      // A server-side dry run goes through every admission plugin, PodSecurity's enforce mode included.
      await core.createNamespacedPod({ namespace: ns.system, dryRun: 'All', body: { metadata: { name: `${o!.metadata.name}-check` }, spec: { ...template.spec, serviceAccountName: undefined } } });
      admitted.push(`${o!.kind}/${o!.metadata.name}`);
    }
    expect(admitted.sort()).toEqual(
      ['CronJob/posbon-maintain', 'Deployment/posbon-api', 'Deployment/posbon-operator', 'Deployment/posbon-webhook', 'Job/posbon-migrate'],
    );
    // The same dry run refuses a pod that would run as root: the namespace really enforces restricted.
    const rootPod = core.createNamespacedPod({
      namespace: ns.system,
      dryRun: 'All',
      body: { metadata: { name: 'root-check' }, spec: { containers: [{ name: 'c', image: 'posbon-api' }] } },
    });
    await expect(rootPod).rejects.toMatchObject({ code: 403, body: expect.stringContaining('violates PodSecurity \\"restricted:latest\\"') });
  });

  it('lets each ServiceAccount do exactly what its component needs', async () => {
    const authz = kc.makeApiClient(AuthorizationV1Api);
    const can = async (sa: string, verb: string, resource: string, namespace?: string) => {
      const [group, plural, sub] = resource.includes('.') || resource.includes('/')
        ? (() => { const [res, subresource] = resource.split('/'); const [p, ...g] = res!.split('.'); return [g.join('.'), p!, subresource]; })()
        : ['', resource, undefined];
      const review = await authz.createSubjectAccessReview({
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec: {
            user: `system:serviceaccount:${ns.system}:${fullname}-${sa}`,
            groups: ['system:serviceaccounts', `system:serviceaccounts:${ns.system}`, 'system:authenticated'],
            resourceAttributes: { verb, group, resource: plural, ...(sub ? { subresource: sub } : {}), ...(namespace ? { namespace } : {}) },
          },
        },
      });
      return review.status?.allowed === true;
    };
    const F = ns.fleet;
    const M = ns.media;
    // [verb, resource (plural.group/subresource), namespace]: what is asked of each component.
    const table: Array<[string, string, string | undefined]> = [
      ['list', 'schools.posbon.io', F], ['watch', 'nvrs.posbon.io', F], ['list', 'faceiddevices.posbon.io', F],
      ['patch', 'schools.posbon.io/status', F], ['patch', 'nvrs.posbon.io/status', F], ['patch', 'faceiddevices.posbon.io/status', F],
      ['update', 'faceiddevices.posbon.io/status', F], ['patch', 'faceiddevices.posbon.io', F], ['update', 'schools.posbon.io', F],
      ['create', 'schools.posbon.io', F], ['delete', 'nvrs.posbon.io', F],
      ['list', 'medianodes.posbon.io', undefined], ['patch', 'medianodes.posbon.io/status', undefined], ['delete', 'medianodes.posbon.io', undefined],
      ['get', 'secrets', F], ['list', 'secrets', F], ['create', 'secrets', F], ['delete', 'secrets', F], ['update', 'secrets', F],
      ['create', 'secrets', M], ['get', 'secrets', M], ['create', 'configmaps', M], ['create', 'deployments.apps', M], ['update', 'leases.coordination.k8s.io', M],
      ['create', 'events', F], ['get', 'secrets', ns.system], ['list', 'pods', F], ['create', 'pods', M], ['escalate', 'roles.rbac.authorization.k8s.io', F],
      ['create', 'deployments.apps', F], ['list', 'secrets', undefined],
    ];
    const answers: Record<string, string[]> = {};
    for (const sa of ['operator', 'api', 'webhook']) {
      answers[sa] = [];
      for (const [verb, resource, namespace] of table) {
        if (await can(sa, verb, resource, namespace)) answers[sa].push(`${verb} ${resource}${namespace ? ` in ${namespace === F ? 'fleet' : namespace === M ? 'media' : 'release'}` : ''}`);
      }
    }
    expect(answers).toEqual({
      operator: [
        // FaceIdDevice readiness is the operator's; it collects credential Secrets nothing references (ADR 0002).
        'list schools.posbon.io in fleet', 'watch nvrs.posbon.io in fleet', 'list faceiddevices.posbon.io in fleet',
        'patch schools.posbon.io/status in fleet', 'patch nvrs.posbon.io/status in fleet', 'patch faceiddevices.posbon.io/status in fleet',
        'list medianodes.posbon.io', 'patch medianodes.posbon.io/status',
        'get secrets in fleet', 'list secrets in fleet', 'delete secrets in fleet',
        'create secrets in media', 'get secrets in media', 'create configmaps in media', 'create deployments.apps in media', 'update leases.coordination.k8s.io in media',
        'create events in fleet',
      ],
      api: ['list schools.posbon.io in fleet', 'watch nvrs.posbon.io in fleet', 'list faceiddevices.posbon.io in fleet', 'list medianodes.posbon.io', 'create secrets in fleet'],
      webhook: ['list schools.posbon.io in fleet', 'list faceiddevices.posbon.io in fleet', 'patch faceiddevices.posbon.io/status in fleet'],
    });
  });
});

async function applyFile(kc: ReturnType<typeof testKubeConfig>, file: string): Promise<void> {
  const { KubernetesObjectApi } = await import('@kubernetes/client-node');
  const { readFile } = await import('node:fs/promises');
  const client = KubernetesObjectApi.makeApiClient(kc);
  for (const doc of parseAllDocuments(await readFile(file, 'utf8'))) {
    const o = doc.toJS() as { metadata: { name: string } } | null;
    if (!o) continue;
    await client.create(o as never).catch((e: { code?: number }) => {
      if (e.code !== 409) throw e;
    });
  }
}

describe("the README's Deploy commands", () => {
  /** The shell lines between `<!-- deploy:<name> -->` markers of README.md. */
  const block = async (name: string) => {
    const { readFile } = await import('node:fs/promises');
    const readme = await readFile(join(CHART_DIR, '..', '..', 'README.md'), 'utf8');
    const part = readme.split(`<!-- deploy:${name} -->`)[1]!.split(`<!-- /deploy:${name} -->`)[0]!;
    return part.split('\n').filter((l) => l && !l.startsWith('```'));
  };

  it('install, upgrade and uninstall the chart as written', async () => {
    const { kubectl, ensureTool: ensure } = await import('../test/tools/tools.js');
    const { mkdir, symlink } = await import('node:fs/promises');
    const { exportJWK, generateKeyPair } = await import('jose');
    const bin = join(work, 'bin');
    await mkdir(bin, { recursive: true });
    await symlink(helm, join(bin, 'helm'));
    await symlink(await ensure(kubectl, log), join(bin, 'kubectl'));
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const env = {
      ...process.env,
      PATH: `${bin}:${process.env.PATH}`,
      KUBECONFIG: process.env.POSBON_TEST_KUBECONFIG,
      DATABASE_URL: 'postgres://posbon:secret@postgres.posbon-system.svc:5432/posbon',
      VIEWER_SIGNING_KEYS_FILE: join(work, 'viewer-signing-keys.json'),
    };
    await writeFile(env.VIEWER_SIGNING_KEYS_FILE, JSON.stringify([{ ...(await exportJWK(privateKey)), kid: 'k1', alg: 'ES256' }]));
    // The prerequisite: cert-manager's CRDs.
    await applyFile(testKubeConfig(), await ensureTool(certManagerCrds, log));
    const outputs: string[] = [];
    for (const line of [...(await block('install')), ...(await block('upgrade'))]) {
      // The only change: this API server runs no controllers, so the migration Job (a hook) would never finish.
      const command = line.replace(/^helm (install|upgrade) /, 'helm $1 --no-hooks ');
      const { stdout } = await run('sh', ['-c', command], { env, cwd: join(CHART_DIR, '..', '..'), maxBuffer: 16 * 1024 * 1024 });
      outputs.push(stdout.split('\n').find((l) => /^(STATUS|namespace|secret|release)/.test(l)) ?? stdout.trim().split('\n')[0]!);
    }
    expect(outputs).toEqual([
      'namespace/posbon-system created',
      'namespace/posbon-system labeled',
      'namespace/posbon-media created',
      'namespace/posbon-media labeled',
      'namespace/posbon created',
      'secret/posbon-database created',
      'STATUS: deployed',
      'STATUS: deployed',
      'STATUS: deployed',
      'release "posbon" uninstalled',
    ]);
  }, 300_000);
});
