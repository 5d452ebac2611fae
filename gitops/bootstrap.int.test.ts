// The bootstrap manifests against the real API server with Flux's and Argo CD's own CRDs (fetched through the Go module proxy).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiException, ApiextensionsV1Api, CoreV1Api, KubernetesObjectApi, type KubeConfig, type KubernetesObject, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { testKubeConfig } from '../test/harness/index.js';
import { eventually } from '../test/harness/process.js';
import { argoCdCrds, ensureTool, fluxCrds } from '../test/tools/tools.js';

const BOOTSTRAP = join(process.cwd(), 'gitops/bootstrap');

type Manifest = KubernetesObject & { spec?: Record<string, any>; metadata: { name: string; namespace?: string; annotations?: Record<string, string> } };

async function documents(path: string): Promise<Manifest[]> {
  return parseAllDocuments(await readFile(path, 'utf8'))
    .map((d) => d.toJS() as Manifest | null)
    .filter((d): d is Manifest => d !== null);
}

const ignoreExisting = (error: unknown) => {
  if (!(error instanceof ApiException && error.code === 409)) throw error;
};

async function installThirdPartyCrds(kc: KubeConfig, bundle: string): Promise<void> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const crds = (await documents(bundle)) as unknown as V1CustomResourceDefinition[];
  for (const crd of crds) await api.createCustomResourceDefinition({ body: crd }).catch(ignoreExisting);
  await eventually(async () => {
    for (const crd of crds) {
      const current = await api.readCustomResourceDefinition({ name: crd.metadata!.name! });
      expect(current.status?.conditions?.find((c) => c.type === 'Established')?.status).toBe('True');
    }
  }, 30_000, 200);
}

let objects: KubernetesObjectApi;
const flux = () => Promise.all(['sources.yaml', 'kustomizations.yaml'].map((f) => documents(join(BOOTSTRAP, 'flux', f)))).then((d) => d.flat());
const argo = () => documents(join(BOOTSTRAP, 'argocd', 'applications.yaml'));
const dryRun = (m: Manifest) => objects.create(m, undefined, 'All');
const rejection = (m: Manifest) =>
  dryRun(m).then(
    () => 'accepted',
    (e: unknown) => (e instanceof ApiException ? `${e.code} ${(JSON.parse(e.body as string) as { message: string }).message}` : String(e)),
  );

beforeAll(async () => {
  const kc = testKubeConfig();
  const [fluxBundle, argoBundle] = [await ensureTool(fluxCrds, console.log), await ensureTool(argoCdCrds, console.log)];
  await installThirdPartyCrds(kc, fluxBundle);
  await installThirdPartyCrds(kc, argoBundle);
  const core = kc.makeApiClient(CoreV1Api);
  for (const name of ['flux-system', 'argocd']) await core.createNamespace({ body: { metadata: { name } } }).catch(ignoreExisting);
  objects = KubernetesObjectApi.makeApiClient(kc);
}, 300_000);

describe('bootstrap manifests', () => {
  it('Flux: both GitRepositories and both Kustomizations pass a server-side dry run and persist nothing', async () => {
    const manifests = await flux();
    expect(manifests.map((m) => `${m.kind}/${m.metadata.name}`)).toEqual([
      'GitRepository/posbon-platform',
      'GitRepository/posbon-fleet',
      'Kustomization/posbon-crds',
      'Kustomization/posbon-fleet-dev',
    ]);
    for (const m of manifests) {
      const created = await dryRun(m);
      expect(created).toMatchObject({ kind: m.kind, metadata: { name: m.metadata.name, namespace: 'flux-system' }, spec: m.spec });
    }
    await expect(objects.read({ apiVersion: manifests[0]!.apiVersion!, kind: 'GitRepository', metadata: { name: 'posbon-platform', namespace: 'flux-system' } })).rejects.toMatchObject({ code: 404 });
  });

  it('Flux: the fleet waits for the CRDs', async () => {
    const fleet = (await flux()).find((m) => m.metadata.name === 'posbon-fleet-dev')!;
    expect(fleet.spec!.dependsOn).toEqual([{ name: 'posbon-crds' }]);
  });

  it('Argo CD: both Applications pass a server-side dry run, CRDs in an earlier sync wave than the fleet', async () => {
    const manifests = await argo();
    for (const m of manifests) {
      expect(await dryRun(m)).toMatchObject({ kind: 'Application', metadata: { name: m.metadata.name, namespace: 'argocd' }, spec: m.spec });
    }
    const wave = (name: string) => Number(manifests.find((m) => m.metadata.name === name)!.metadata.annotations!['argocd.argoproj.io/sync-wave']);
    expect(wave('posbon-crds')).toBeLessThan(wave('posbon-fleet-dev'));
  });

  it('the dry run refuses what the projects refuse: a malformed interval, a missing destination', async () => {
    const [kustomization] = (await flux()).filter((m) => m.kind === 'Kustomization');
    expect(await rejection({ ...kustomization!, spec: { ...kustomization!.spec, interval: 'soon' } })).toMatch(/^422 .*spec\.interval/);
    const [application] = await argo();
    const withoutDestination = { ...application!.spec };
    delete withoutDestination.destination;
    expect(await rejection({ ...application!, spec: withoutDestination })).toMatch(/^422 .*spec\.destination: Required value/);
  });
});
