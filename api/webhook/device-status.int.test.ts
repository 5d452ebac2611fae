// FaceIdDevice status.lastEventAt from the ingress, against a real kube-apiserver and PostgreSQL: the Last-Event
// column fills once a device's event is stored, writes are throttled per device, and a failed write is counted and
// logged while the terminal still gets its ack.
import { CustomObjectsApi, setHeaderOptions } from '@kubernetes/client-node';
import { installCrds } from '../../crds/install.js';
import { GROUP, VERSION } from '../../crds/index.js';
import { eventually, testDatabase, testKubeConfig, testNamespace } from '../../test/harness/index.js';
import { dahuaData, dahuaText, hikvisionEventJson, hikvisionMultipart } from '../../test/webhook/fixtures.js';
import { startTestIngress, type TestIngress } from '../../test/webhook/ingress.js';

const kc = testKubeConfig();
const objects = kc.makeApiClient(CustomObjectsApi);
let namespace: string;
let ingress: TestIngress;

const create = (plural: string, kind: string, name: string, spec: Record<string, unknown>) =>
  objects.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural, body: { apiVersion: `${GROUP}/${VERSION}`, kind, metadata: { name }, spec } });

beforeAll(async () => {
  await installCrds(kc);
  namespace = await testNamespace(kc, 'fleet');
  await create('schools', 'School', 'school-a', { displayName: 'School A', region: 'tas', timezone: 'Asia/Tashkent' });
  // gate-1 is in the cluster; dh-1 is only in the ingress's directory, so its write fails.
  await create('faceiddevices', 'FaceIdDevice', 'gate-1', { schoolRef: 'school-a', vendor: 'hikvision', direction: 'both', serialNumber: 'DS-K1T671-0001', lan: { localIp: '192.168.1.20' } });
  ingress = await startTestIngress(await testDatabase('device_status'), { deviceStatus: { kc, namespace, throttleMs: 3_600_000 } });
});
afterAll(async () => ingress?.close());

const pushHikvision = async (serialNo: number) => {
  const { body, contentType } = hikvisionMultipart({ json: hikvisionEventJson({ serialNo, employeeNoString: `p${serialNo}` }) });
  const res = await fetch(`${ingress.base}/webhook/school-a/in/${ingress.tokens.hikvision}`, { method: 'POST', body, headers: { 'content-type': contentType } });
  return res.status;
};

/** What `kubectl get faceiddevices` prints: the server's table with the CRD's printer columns. */
async function table(): Promise<Record<string, unknown>[]> {
  const answer = (await objects.listNamespacedCustomObject(
    { group: GROUP, version: VERSION, namespace, plural: 'faceiddevices' },
    setHeaderOptions('Accept', 'application/json;as=Table;v=v1;g=meta.k8s.io'),
  )) as { columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] };
  const names = answer.columnDefinitions.map((c) => c.name);
  return answer.rows.map((r) => Object.fromEntries(r.cells.map((cell, i) => [names[i], cell])));
}

const writes = async () => {
  const text = await (await fetch(`${ingress.metricsBase}/metrics`)).text();
  return Object.fromEntries([...text.matchAll(/^posbon_webhook_device_status_writes_total\{result="(\w+)"\} (\d+)$/gm)].map((m) => [m[1], Number(m[2])]));
};

it('fills the Last-Event column once an event is stored, at most once per device in the window', async () => {
  expect((await table()).map((r) => [r.Name, r['Last-Event']])).toEqual([['gate-1', null]]);
  const before = Date.now();
  expect(await pushHikvision(1)).toBe(200);
  const row = await eventually(async () => {
    const [gate] = await table();
    if (!gate?.['Last-Event']) throw new Error('no Last-Event yet');
    return gate;
  });
  const device = (await objects.getNamespacedCustomObjectStatus({ group: GROUP, version: VERSION, namespace, plural: 'faceiddevices', name: 'gate-1' })) as { status: { lastEventAt: string } };
  expect(Date.parse(device.status.lastEventAt)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
  expect(row).toMatchObject({ Name: 'gate-1', 'Last-Event': expect.any(String) });

  // A second event inside the window is acknowledged and stored, and written to no status.
  expect(await pushHikvision(2)).toBe(200);
  expect(await writes()).toEqual({ ok: 1 });
  const again = (await objects.getNamespacedCustomObjectStatus({ group: GROUP, version: VERSION, namespace, plural: 'faceiddevices', name: 'gate-1' })) as { status: { lastEventAt: string } };
  expect(again.status.lastEventAt).toBe(device.status.lastEventAt);
});

it('acks a device whose status cannot be written, and counts and logs the failure', async () => {
  const res = await fetch(`${ingress.base}/dahua/school-a/${ingress.tokens.dahua}`, { method: 'POST', body: dahuaText([dahuaData({ recNo: 1, userId: 'd1' })]) });
  expect(res.status).toBe(200);
  expect(await eventually(async () => {
    const counted = await writes();
    if (!counted.failed) throw new Error('not yet');
    return counted;
  })).toEqual({ ok: 1, failed: 1 });
  const logged = ingress.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.message === 'FaceIdDevice status write failed');
  expect(logged.map((l) => [l.level, l.schoolId, l.resource, l.status])).toEqual([['warn', 'school-a', 'faceiddevices/dh-1', 404]]);
});
