// The operator in tunnel mode against the real API server: the node's key made once and kept in a Secret, the
// peers in a ConfigMap without it, each school's address and endpoint in status, and handshakes turned conditions.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../crds/index.js';
import { createMediaNode, fleetCluster, startController } from '../test/fixtures/operator.js';
import { eventually, freePort } from '../test/harness/index.js';
import type { FleetController } from './controller/fleet-controller.js';
import { generateKeyPair, publicKeyOf } from '../lib/wireguard/keys.js';
import { DEFAULT_WORKLOAD_OPTIONS, tunnelConfigMapName, tunnelKeySecretName } from './workload.js';

let core: CoreV1Api;
let objects: CustomObjectsApi;
let fleetNs: string;
let mediaNs: string;
let controller: FleetController;
let sidecar: Server;
const region = `r${randomBytes(3).toString('hex')}`;
const node = `${region}-t`;
const gateway = generateKeyPair();
/** What the fake sidecar reports: the node's handshakes, as its /handshakes endpoint answers. */
let reported: Array<{ school: string; latestHandshake: string | null }> = [];

const create = (plural: string, body: object) =>
  plural === 'medianodes'
    ? objects.createClusterCustomObject({ group: GROUP, version: VERSION, plural, body })
    : objects.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: fleetNs, plural, body });
const statusOf = async (plural: string, name: string): Promise<Record<string, any>> =>
  ((plural === 'medianodes'
    ? await objects.getClusterCustomObject({ group: GROUP, version: VERSION, plural, name })
    : await objects.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: fleetNs, plural, name })) as Record<string, any>).status ?? {};
const condition = (status: Record<string, any>, type: string) => (status.conditions as Array<Record<string, string>> | undefined)?.find((c) => c.type === type);

beforeAll(async () => {
  const cluster = await fleetCluster();
  ({ core, objects, fleetNs, mediaNs } = cluster);
  const port = await freePort();
  sidecar = createServer((req, res) => res.writeHead(req.url === '/handshakes' ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(reported)));
  await new Promise<void>((resolve) => sidecar.listen(port, '127.0.0.1', resolve));
  controller = await startController(cluster, { applyWorkloads: false, workload: { ...DEFAULT_WORKLOAD_OPTIONS, tunnelImage: 'posbon:test' }, tunnelPoll: { intervalMs: 300, urlFor: () => `http://127.0.0.1:${port}` } });
  await createMediaNode(cluster, node, region, '198.51.100.70', { tunnel: { addressRange: '10.255.0.0/24' } });
  await core.createNamespacedSecret({ namespace: fleetNs, body: { metadata: { name: 'gate-credentials' }, stringData: { username: 'viewer', password: `pw-${randomBytes(6).toString('hex')}` } } });
  await create('schools', {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'School',
    metadata: { name: 'cgnat' },
    spec: { displayName: 'CGNAT school', region, timezone: 'Asia/Tashkent', mediaNodeRef: node, networkMode: 'tunnel', tunnel: { publicKey: gateway.publicKey, expose: ['192.168.10.0/28'] } },
  });
  await create('nvrs', {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'Nvr',
    metadata: { name: 'gate' },
    spec: { schoolRef: 'cgnat', vendor: 'hikvision', connectivity: 'tunnel', tunnel: { host: '192.168.10.5' }, credentialsSecretRef: { name: 'gate-credentials' }, cameras: [{ id: 'c1', name: 'C1', channel: 1 }] },
  });
  await create('nvrs', {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'Nvr',
    metadata: { name: 'outside' },
    spec: { schoolRef: 'cgnat', vendor: 'hikvision', connectivity: 'tunnel', tunnel: { host: '192.168.10.99' }, credentialsSecretRef: { name: 'gate-credentials' }, cameras: [{ id: 'c1', name: 'C1', channel: 1 }] },
  });
}, 60_000);

afterAll(async () => {
  await controller?.stop();
  await new Promise((resolve) => sidecar?.close(resolve));
});

describe('the operator with a tunnel school', () => {
  it('keeps the node key in a Secret, and renders peers without it', async () => {
    const peers = await eventually(async () => {
      const data = (await core.readNamespacedConfigMap({ name: tunnelConfigMapName(node), namespace: mediaNs })).data!;
      expect(data['peers.conf']).toContain('# School cgnat');
      return data;
    }, 30_000, 200);
    const secret = await core.readNamespacedSecret({ name: tunnelKeySecretName(node), namespace: mediaNs });
    const privateKey = Buffer.from(secret.data!['private-key']!, 'base64').toString('utf8');
    const address = (await eventually(async () => {
      const s = await statusOf('schools', 'cgnat');
      expect(s.tunnel?.address).toBeDefined();
      return s.tunnel.address as string;
    }, 30_000, 200));
    expect(peers).toEqual({
      'peers.conf': `[Interface]\nListenPort = 51820\n\n# School cgnat\n[Peer]\nPublicKey = ${gateway.publicKey}\nAllowedIPs = ${address}/32, 192.168.10.5/32\n`,
      routes: '192.168.10.5/32\n',
      address: '10.255.0.1/24\n',
    });
    // Control: the key is real, so its absence below is not vacuous.
    expect(privateKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    // The node's status trails its ConfigMaps in the status queue.
    const node$ = await eventually(async () => {
      const status = await statusOf('medianodes', node);
      expect(status.tunnel).toEqual({ publicKey: publicKeyOf(privateKey), endpoint: '198.51.100.70:51820', address: '10.255.0.1', peers: 1, stalePeers: 1 });
      return status;
    }, 30_000, 200);
    const everything = JSON.stringify([peers, node$, await statusOf('schools', 'cgnat'), (await core.listNamespacedEvent({ namespace: fleetNs })).items, (await core.listNamespacedConfigMap({ namespace: mediaNs })).items]);
    expect(everything).not.toContain(privateKey);
  });

  it('tells the school where its gateway connects and that no handshake came yet', async () => {
    await eventually(async () => {
      const s = await statusOf('schools', 'cgnat');
      const nodeKey = (await statusOf('medianodes', node)).tunnel.publicKey;
      expect(s.tunnel).toEqual({ mediaNode: node, address: s.tunnel.address, endpoint: '198.51.100.70:51820', nodePublicKey: nodeKey });
      expect(condition(s, 'TunnelConnected')).toMatchObject({ status: 'False', reason: 'NoHandshake' });
    }, 30_000, 200);
  });

  it('turns the condition True on a fresh handshake and False once it is stale', async () => {
    const fresh = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
    reported = [{ school: 'cgnat', latestHandshake: fresh }];
    await eventually(async () => {
      const s = await statusOf('schools', 'cgnat');
      expect(s.tunnel.lastHandshake).toBe(fresh);
      expect(condition(s, 'TunnelConnected')).toMatchObject({ status: 'True', reason: 'HandshakeFresh' });
    }, 30_000, 200);
    const old = new Date(Date.now() - 10 * 60_000).toISOString();
    reported = [{ school: 'cgnat', latestHandshake: old }];
    await eventually(async () => {
      const s = await statusOf('schools', 'cgnat');
      expect(condition(s, 'TunnelConnected')).toMatchObject({ status: 'False', reason: 'HandshakeStale' });
    }, 30_000, 200);
  });

  it('gives a node with no tunnel school an empty peer list, so its first one is a peer change and not a restart', async () => {
    const idle = `${region}-idle`;
    await createMediaNode({ objects }, idle, region, '198.51.100.71', { cordoned: true });
    const data = await eventually(async () => (await core.readNamespacedConfigMap({ name: tunnelConfigMapName(idle), namespace: mediaNs })).data!, 30_000, 200);
    expect(data).toEqual({ 'peers.conf': '[Interface]\nListenPort = 51820\n', routes: '', address: '10.255.0.1/20\n' });
  });

  it('leaves out an NVR outside the school\'s exposure, saying why', async () => {
    await eventually(async () => {
      expect(condition(await statusOf('nvrs', 'outside'), 'Ready')).toMatchObject({ status: 'False', reason: 'NotExposed', message: "not published: 192.168.10.99 is outside School cgnat's spec.tunnel.expose" });
      expect(condition(await statusOf('nvrs', 'gate'), 'Ready')).toMatchObject({ status: 'True' });
    }, 30_000, 200);
  });
});
