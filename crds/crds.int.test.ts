// The generated CRDs in the real API server: what it accepts, refuses and shows must match validate().
import { ApiException, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { getRaw, testKubeConfig, testNamespace } from '../test/harness/index.js';
import { INVALID, VALID, loadExamples } from './fixtures.js';
import { API_VERSION, GROUP, KINDS, VERSION, validate, type KindName } from './index.js';
import { installCrds } from './install.js';

let kc: KubeConfig;
let api: CustomObjectsApi;
let ns: string;

beforeAll(async () => {
  kc = testKubeConfig();
  await installCrds(kc);
  api = kc.makeApiClient(CustomObjectsApi);
  ns = await testNamespace(kc);
});

const target = (kind: KindName) => ({
  group: GROUP,
  version: VERSION,
  plural: KINDS[kind].plural,
  ...(KINDS[kind].scope === 'Namespaced' ? { namespace: ns } : {}),
});

async function create(kind: KindName, body: object, name?: string): Promise<Record<string, any>> {
  const object = name ? { ...body, metadata: { ...(body as { metadata: object }).metadata, name } } : body;
  const t = target(kind);
  return (t.namespace
    ? api.createNamespacedCustomObject({ ...t, namespace: t.namespace, body: object, fieldValidation: 'Strict' })
    : api.createClusterCustomObject({ ...t, body: object, fieldValidation: 'Strict' })) as Promise<Record<string, any>>;
}

async function serverError(promise: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiException) {
      const body = typeof error.body === 'string' ? JSON.parse(error.body) : error.body;
      return { code: error.code, message: String(body?.message ?? error.body) };
    }
    throw error;
  }
  return { code: 0, message: 'accepted' };
}

let unique = 0;
const uniqueName = (base: string) => `${base.slice(0, 50)}-${++unique}`;

describe('the API server with the generated CRDs', () => {
  it('accepts every example', async () => {
    for (const example of loadExamples()) {
      const created = await create(example.kind, example);
      expect(created.metadata.name).toBe(example.metadata.name);
    }
  });

  it(`admits each of ${VALID.length} valid variations, as validate() does`, async () => {
    const verdicts = [];
    for (const row of VALID) {
      const server = await serverError(create(row.kind, row.object, uniqueName(row.object.metadata.name)));
      verdicts.push({ row: row.name, server: server.message, local: validate(row.kind, row.object).ok });
    }
    expect(verdicts).toEqual(VALID.map((r) => ({ row: r.name, server: 'accepted', local: true })));
  });

  it(`refuses each of ${INVALID.length} invalid objects naming the field, with the same verdict as validate()`, async () => {
    const verdicts = [];
    for (const row of INVALID) {
      const named = row.field === 'metadata.name' ? row.object : { ...row.object, metadata: { ...row.object.metadata, name: uniqueName(row.object.metadata.name) } };
      const server = await serverError(create(row.kind, named));
      const local = validate(row.kind, named);
      verdicts.push({
        row: row.name,
        serverRefused: server.code === 422 || server.code === 400,
        serverNamesField: server.message.includes(row.field),
        localRefused: !local.ok,
        localNamesField: !local.ok && local.errors.some((e) => e.field === row.field),
        ...(server.message.includes(row.field) ? {} : { serverMessage: server.message }),
      });
    }
    expect(verdicts).toEqual(
      INVALID.map((r) => ({ row: r.name, serverRefused: true, serverNamesField: true, localRefused: true, localNamesField: true })),
    );
  });

  it('refuses a change of schoolRef', async () => {
    const nvr = loadExamples().find((o) => o.kind === 'Nvr')!;
    const created = await create('Nvr', nvr, 'immutable-school');
    created.spec.schoolRef = 'school-4-samarkand';
    const error = await serverError(api.replaceNamespacedCustomObject({ ...target('Nvr'), namespace: ns, name: 'immutable-school', body: created }));
    expect(error.code).toBe(422);
    expect(error.message).toContain('spec.schoolRef');
    expect(error.message).toContain('schoolRef is immutable');
  });

  it('ignores status written through the main resource and bumps generation only for spec changes', async () => {
    const school = loadExamples().find((o) => o.kind === 'School')!;
    const created = await create('School', { ...school, status: { mediaNode: 'smuggled' } }, 'status-school');
    expect(created.status).toBeUndefined();
    expect(created.metadata.generation).toBe(1);

    const withStatus = (await api.replaceNamespacedCustomObjectStatus({
      ...target('School'),
      namespace: ns,
      name: 'status-school',
      body: { ...created, status: { mediaNode: 'fsn1-a', observedGeneration: 1 } },
    })) as Record<string, any>;
    expect(withStatus.status).toEqual({ mediaNode: 'fsn1-a', observedGeneration: 1 });
    expect(withStatus.metadata.generation).toBe(1);

    withStatus.spec.displayName = 'Renamed';
    withStatus.status = { mediaNode: 'overwritten' };
    const updated = (await api.replaceNamespacedCustomObject({ ...target('School'), namespace: ns, name: 'status-school', body: withStatus })) as Record<string, any>;
    expect(updated.metadata.generation).toBe(2);
    expect(updated.status).toEqual({ mediaNode: 'fsn1-a', observedGeneration: 1 });
  });

  it('publishes a description for every spec field in its OpenAPI v3 document', async () => {
    const { status, body } = await getRaw(kc, `/openapi/v3/apis/${GROUP}/${VERSION}`);
    expect(status).toBe(200);
    const schemas = JSON.parse(body).components.schemas as Record<string, any>;
    const undescribed: string[] = [];
    const walk = (node: any, path: string) => {
      if (!node || typeof node !== 'object') return;
      if (!node.description) undescribed.push(path);
      for (const [key, child] of Object.entries(node.properties ?? {})) walk(child, `${path}.${key}`);
      if (node.items) walk(node.items, `${path}[]`);
    };
    for (const kind of Object.keys(KINDS) as KindName[]) {
      const schema = schemas[`io.posbon.${VERSION}.${kind}`];
      expect(schema).toBeDefined();
      walk(schema.properties.spec, `${kind}.spec`);
    }
    expect(undescribed).toEqual([]);
    expect(API_VERSION).toBe('posbon.io/v1alpha1');
  });
});
