// The operator against the real API server: shards, pins, moves, Secrets, bad specs, and no credential anywhere.
import { randomBytes } from 'node:crypto';
import type { CoreV1Api, CustomObjectsApi, V1ConfigMap } from '@kubernetes/client-node';
import { Writable } from 'node:stream';
import { GROUP, VERSION } from '../crds/index.js';
import { createMediaNode, fleetCluster, startController } from '../test/fixtures/operator.js';
import { kstatus } from '../test/fixtures/kstatus.js';
import { eventually } from '../test/harness/index.js';
import type { FleetController } from './controller/fleet-controller.js';
import { openMediaMtxConfig } from './core/seal.js';
import { createLogger } from '../lib/log/logger.js';
import { configMapName, confKeySecretName } from './workload.js';

class Capture extends Writable {
  lines: string[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, next: () => void) {
    this.lines.push(...chunk.toString('utf8').split('\n').filter((line) => line !== ''));
    next();
  }
}

let core: CoreV1Api;
let objects: CustomObjectsApi;
let fleetNs: string;
let mediaNs: string;
let controller: FleetController;
const capture = new Capture();
const region = `r${randomBytes(3).toString('hex')}`;
const nodeA = `${region}-a`;
const nodeB = `${region}-b`;
const passwords: string[] = [];

const newPassword = () => {
  const p = `pw-${randomBytes(9).toString('hex')}`;
  passwords.push(p);
  return p;
};

async function createSecret(name: string, username = 'admin', password = newPassword()) {
  await core.createNamespacedSecret({
    namespace: fleetNs,
    body: { metadata: { name }, stringData: { username, password } },
  });
  return password;
}

const school = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: `${GROUP}/${VERSION}`,
  kind: 'School',
  metadata: { name },
  spec: { displayName: name, region, timezone: 'Asia/Tashkent', ...extra },
});

const nvr = (name: string, schoolRef: string, cameras: number, secret = `${name}-credentials`) => ({
  apiVersion: `${GROUP}/${VERSION}`,
  kind: 'Nvr',
  metadata: { name },
  spec: {
    schoolRef,
    vendor: 'hikvision',
    publicHost: '203.0.113.50',
    credentialsSecretRef: { name: secret },
    cameras: Array.from({ length: cameras }, (_, i) => ({ id: `cam${i + 1}`, name: `Camera ${i + 1}`, channel: i + 1 })),
  },
});

const create = (plural: string, body: object) =>
  plural === 'medianodes'
    ? objects.createClusterCustomObject({ group: GROUP, version: VERSION, plural, body })
    : objects.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: fleetNs, plural, body });

const getStatus = async (plural: string, name: string): Promise<Record<string, any>> =>
  ((plural === 'medianodes'
    ? await objects.getClusterCustomObject({ group: GROUP, version: VERSION, plural, name })
    : await objects.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: fleetNs, plural, name })) as Record<string, any>).status ?? {};

async function configOf(node: string): Promise<{ paths: Record<string, { source: string }> } & Record<string, unknown>> {
  const cm = await core.readNamespacedConfigMap({ name: configMapName(node), namespace: mediaNs });
  const key = await core.readNamespacedSecret({ name: confKeySecretName(node), namespace: mediaNs });
  const { parse } = await import('yaml');
  return parse(openMediaMtxConfig(cm.data!['mediamtx.yml']!, Buffer.from(key.data!.key!, 'base64').toString('utf8')));
}

const pathsOf = async (node: string) => Object.keys((await configOf(node)).paths).sort();

beforeAll(async () => {
  const cluster = await fleetCluster();
  ({ core, objects, fleetNs, mediaNs } = cluster);
  // The operator's own logger, so the scan below proves the logger redacts, not the test.
  controller = await startController(cluster, {}, createLogger({ component: 'operator', level: 'info', stream: capture }));
});

afterAll(async () => {
  await controller?.stop();
});

describe('the operator', () => {
  it('renders one ConfigMap per media node with each school on exactly one node', async () => {
    await createMediaNode({ objects }, nodeA, region, '198.51.100.61');
    await createMediaNode({ objects }, nodeB, region, '198.51.100.62');
    for (let i = 1; i <= 6; i++) {
      await create('schools', school(`s${i}`));
      await createSecret(`n${i}-credentials`);
      await create('nvrs', nvr(`n${i}`, `s${i}`, 2));
    }
    const expected = Array.from({ length: 6 }, (_, i) => [`s${i + 1}/n${i + 1}/cam1`, `s${i + 1}/n${i + 1}/cam2`]).flat().sort();
    await eventually(async () => expect([...(await pathsOf(nodeA)), ...(await pathsOf(nodeB))].sort()).toEqual(expected), 30_000, 200);

    const config = await configOf(nodeA);
    expect(config.authMethod).toBe('jwt');
    for (const path of Object.values(config.paths)) expect(path).toMatchObject({ sourceOnDemand: true });

    await eventually(async () => {
      const status = await getStatus('schools', 's1');
      const node = status.mediaNode as string;
      expect([nodeA, nodeB]).toContain(node);
      expect(status.allowlistIPs).toEqual([node === nodeA ? '198.51.100.61' : '198.51.100.62']);
      expect(status.hlsBaseUrl).toBe(`https://${node}.media.example/hls`);
      expect(status.conditions).toEqual([expect.objectContaining({ type: 'Ready', status: 'True', reason: 'Assigned' })]);
      expect(status.observedGeneration).toBe(1);
    }, 30_000, 200);
    await eventually(async () => {
      const [a, b] = [await getStatus('medianodes', nodeA), await getStatus('medianodes', nodeB)];
      expect(a.cameraCount + b.cameraCount).toBe(12);
      expect(a.schoolCount + b.schoolCount).toBe(6);
      expect(a.conditions[0]).toMatchObject({ type: 'Ready', status: 'True', reason: 'ConfigApplied' });
    }, 30_000, 200);
  });

  it('moves a pinned school from one shard to the other, updating both', async () => {
    const from = (await getStatus('schools', 's1')).mediaNode as string;
    const to = from === nodeA ? nodeB : nodeA;
    await objects.patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, namespace: fleetNs, plural: 'schools', name: 's1', body: [{ op: 'add', path: '/spec/mediaNodeRef', value: to }] },
    );
    await eventually(async () => {
      expect(await pathsOf(to)).toEqual(expect.arrayContaining(['s1/n1/cam1', 's1/n1/cam2']));
      expect(await pathsOf(from)).not.toContain('s1/n1/cam1');
      expect(await getStatus('schools', 's1')).toMatchObject({ mediaNode: to, conditions: [expect.objectContaining({ reason: 'Pinned' })] });
    }, 30_000, 200);
  });

  it('rewrites the config when a credentials Secret changes', async () => {
    const node = (await getStatus('schools', 's2')).mediaNode as string;
    const password = newPassword();
    await core.replaceNamespacedSecret({ name: 'n2-credentials', namespace: fleetNs, body: { metadata: { name: 'n2-credentials' }, stringData: { username: 'admin', password } } });
    await eventually(async () => expect((await configOf(node)).paths['s2/n2/cam1']!.source).toContain(encodeURIComponent(password)), 30_000, 200);
  });

  it('gives a bad spec a condition with a reason and leaves it out of the config', async () => {
    await create('nvrs', nvr('nosecret', 's3', 1, 'does-not-exist'));
    await create('schools', school('badtz', { timezone: 'Mars/Olympus' }));
    await eventually(async () => {
      expect((await getStatus('nvrs', 'nosecret')).conditions).toEqual([
        expect.objectContaining({ type: 'Ready', status: 'False', reason: 'CredentialsMissing' }),
        expect.objectContaining({ type: 'Stalled', status: 'True', reason: 'CredentialsMissing' }),
      ]);
      expect((await getStatus('schools', 'badtz')).conditions).toEqual([
        expect.objectContaining({ type: 'Ready', status: 'False', reason: 'InvalidTimezone' }),
        expect.objectContaining({ type: 'Stalled', status: 'True', reason: 'InvalidTimezone' }),
      ]);
      // The bad generation was observed and judged: kstatus reads it as Failed, not as still in progress.
      const badtz = await objects.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: fleetNs, plural: 'schools', name: 'badtz' });
      expect([(badtz as { status: { observedGeneration?: number } }).status.observedGeneration, kstatus(badtz as object)]).toEqual([1, 'Failed']);
    }, 30_000, 200);
    expect([...(await pathsOf(nodeA)), ...(await pathsOf(nodeB))]).not.toContain('s3/nosecret/cam1');
    const events = await core.listNamespacedEvent({ namespace: fleetNs });
    expect(events.items.filter((e) => e.involvedObject.name === 'nosecret').map((e) => [e.type, e.reason])).toEqual([['Warning', 'CredentialsMissing']]);

    // Fixing the cause clears Stalled and publishes the NVR.
    await createSecret('does-not-exist');
    await eventually(async () => {
      expect((await getStatus('nvrs', 'nosecret')).conditions).toEqual([expect.objectContaining({ type: 'Ready', status: 'True', reason: 'Published' })]);
      expect([...(await pathsOf(nodeA)), ...(await pathsOf(nodeB))]).toContain('s3/nosecret/cam1');
    }, 30_000, 200);
  });

  it('reassigns the schools of a deleted node and removes its ConfigMap', async () => {
    const removed = (await getStatus('schools', 's1')).mediaNode as string;
    const kept = removed === nodeA ? nodeB : nodeA;
    await objects.deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: 'medianodes', name: removed });
    await eventually(async () => {
      expect((await pathsOf(kept)).filter((p) => /^s\d\//.test(p)).length).toBe(13);
      const error = await core.readNamespacedConfigMap({ name: configMapName(removed), namespace: mediaNs }).then(
        () => undefined,
        (e: { code?: number }) => e.code,
      );
      expect(error).toBe(404);
    }, 30_000, 200);
    await eventually(async () => expect((await getStatus('schools', 's1')).conditions[0].reason).toBe('PinnedNodeMissing'), 30_000, 200);
    const events = await core.listNamespacedEvent({ namespace: 'default' });
    expect(events.items.some((e) => e.involvedObject.name === kept && e.reason === 'ConfigApplied')).toBe(true);
  });

  it('wrote no credential into any ConfigMap, status, event or log line', async () => {
    await controller.settled();
    const haystacks: string[] = [...capture.lines];
    const cms = await core.listNamespacedConfigMap({ namespace: mediaNs });
    haystacks.push(...cms.items.map((c: V1ConfigMap) => JSON.stringify(c)));
    for (const plural of ['schools', 'nvrs']) {
      haystacks.push(JSON.stringify(await objects.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: fleetNs, plural })));
    }
    haystacks.push(JSON.stringify(await objects.listClusterCustomObject({ group: GROUP, version: VERSION, plural: 'medianodes' })));
    haystacks.push(JSON.stringify(await core.listNamespacedEvent({ namespace: 'default' })), JSON.stringify(await core.listNamespacedEvent({ namespace: fleetNs })));
    expect(passwords.length).toBeGreaterThan(6);
    expect(capture.lines.length).toBeGreaterThan(0);
    const leaks = passwords.filter((p) => haystacks.some((h) => h.includes(p) || h.includes(encodeURIComponent(p))));
    expect(leaks).toEqual([]);
  });
});
