// The webhook's devices from the cluster: FaceIdDevice and School resources through informers, as in a pod.
import { CustomObjectsApi } from '@kubernetes/client-node';
import { installCrds } from '../../crds/install.js';
import { GROUP, VERSION } from '../../crds/index.js';
import { eventually, testKubeConfig, testNamespace } from '../../test/harness/index.js';
import { createLogger } from '../../lib/log/logger.js';
import { ClusterDevices } from './cluster-devices.js';

const kc = testKubeConfig();
const objects = kc.makeApiClient(CustomObjectsApi);
let namespace: string;
let devices: ClusterDevices;

const create = (plural: string, kind: string, name: string, spec: Record<string, unknown>) =>
  objects.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural, body: { apiVersion: `${GROUP}/${VERSION}`, kind, metadata: { name }, spec } });
const device = (name: string, school: string, serialNumber: string) =>
  create('faceiddevices', 'FaceIdDevice', name, { schoolRef: school, vendor: 'zkteco', direction: 'in', serialNumber, lan: { localIp: '192.168.1.20' } });

beforeAll(async () => {
  await installCrds(kc);
  namespace = await testNamespace(kc, 'fleet');
  await create('schools', 'School', 's-1', { displayName: 'School 1', region: 'tas', timezone: 'Asia/Tashkent', faceIdSourceAddresses: ['203.0.113.7'] });
  await device('door-1', 's-1', 'ZK001');
  // A device of a School that does not exist (yet) is left out, not guessed.
  await device('door-9', 's-9', 'ZK009');
  devices = await ClusterDevices.start({ kc, namespace, logger: createLogger({ component: 'webhook', level: 'error' }) });
});
afterAll(() => devices.stop());

it('serves each device with its School time zone and source addresses, and follows changes', async () => {
  const view = () => ({
    door1: devices.directory.bySerialNumber('ZK001'),
    door2: devices.directory.bySerialNumber('ZK002'),
    door9: devices.directory.bySerialNumber('ZK009'),
    allows: devices.directory.sourcesOf('s-1')?.allows('203.0.113.7'),
  });
  const before = view();
  expect(before).toEqual({ door1: expect.objectContaining({ schoolId: 's-1', deviceId: 'door-1', timezone: 'Asia/Tashkent' }), door2: undefined, door9: undefined, allows: true });
  await device('door-2', 's-1', 'ZK002');
  await create('schools', 'School', 's-9', { displayName: 'School 9', region: 'tas', timezone: 'Asia/Samarkand' });
  const after = await eventually(() => {
    const v = view();
    if (!v.door2 || !v.door9) throw new Error('not yet');
    return v;
  });
  expect([after.door2?.deviceId, after.door9?.deviceId, after.door9?.timezone]).toEqual(['door-2', 'door-9', 'Asia/Samarkand']);
});
