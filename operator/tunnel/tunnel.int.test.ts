// Acceptance of tunnel mode in network namespaces: a school behind CGNAT, its gateway configured by the agent's
// render, the media node running the real MediaMTX on the operator's render and the node-side sync, both ends on
// userspace WireGuard. Timings are printed as figures, never asserted.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SignJWT, exportJWK, generateKeyPair as joseKeyPair } from 'jose';
import type { MediaNode, Nvr, School } from '../../crds/index.js';
import { generateKeyPair, renderLinuxGateway, type KeyPair } from '../../agent/tunnel.js';
import { mediaNode, nvr, school } from '../../test/fixtures/fleet.js';
import {
  ConfigMapDir,
  eventually,
  harnessDir,
  mediaMtxApiSocket,
  readHlsSegment,
  spawnService,
  startMediaMtx,
  waitForPort,
  startRtspCamera,
  type MediaMtx,
  type RtspCamera,
  type Service,
} from '../../test/harness/index.js';
import { createCgnatSchool, type CgnatSchool } from '../../test/harness/tunnel-topology.js';
import { renderMediaMtxConfig } from '../core/mediamtx.js';
import { sealMediaMtxConfig } from '../core/seal.js';
import { VIEWER_TOKEN_ISSUER, viewerTokenAudience } from '../core/viewer-token.js';
import { planFleet, schoolPlacement, type ShardPlan } from '../core/plan.js';
import { renderWireGuardPeers } from '../core/tunnel.js';
import { TunnelSync, execCommand, type Exec } from './sync.js';
import { ProbeClient } from '../../lib/probe-protocol/client.js';
import { renderProbeAllowlist } from '../../lib/probe-protocol/render-allowlist.js';

const USERSPACE = {
  ...process.env,
  WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD: '1',
  WG_QUICK_USERSPACE_IMPLEMENTATION: 'wireguard-go',
};
const CONF_KEY = randomBytes(24).toString('hex');
const HLS = 8888;
const CAMERA_PATH = 'Streaming/Channels/101';
const id = randomBytes(2).toString('hex');
const NODE_IFACE = `pbn${id}`;
const GATEWAY_IFACE = `pbg${id}`;

let net: CgnatSchool;
let camera: RtspCamera;
let mediamtx: MediaMtx;
let jwksServer: Service;
let sign: (path: string) => Promise<string>;
let sync: TunnelSync;
let nodeKey: KeyPair;
let gatewayKey: KeyPair;
let config: ConfigMapDir;
let gatewayConf: string;
const figures: Record<string, string> = {};

const inNode = (netns: string): Exec => {
  const exec = execCommand(USERSPACE);
  return (command, args, input) => exec('ip', ['netns', 'exec', netns, command, ...args], input);
};

const node: MediaNode = mediaNode('node-a', {
  egressIPs: ['198.51.100.7'],
  tunnel: { addressRange: '10.255.0.0/24', listenPort: 51820 },
});
const tunnelSchool = (name: string, publicKey: string, expose: string[]): School =>
  school(name, {
    networkMode: 'tunnel',
    mediaNodeRef: 'node-a',
    tunnel: { publicKey, expose, persistentKeepalive: 10 },
  });
const tunnelNvr = (name: string, schoolRef: string, host: string): Nvr => {
  const n = nvr(name, schoolRef, 0, {
    connectivity: 'tunnel',
    tunnel: { host, rtspPort: 554 },
    cameras: [{ id: 'gate', name: 'Gate', enabled: true, stream: 'main', rtspPath: `/${CAMERA_PATH}` }],
  });
  delete n.spec.publicHost;
  return n;
};

let schools: School[] = [];
let nvrs: Nvr[] = [];
let shard: ShardPlan;

/** Renders the node's MediaMTX config and WireGuard peers from the fleet and applies both, as the node would. */
async function applyFleet(): Promise<void> {
  const plan = planFleet({ nodes: [node], schools, nvrs });
  shard = plan.shards.get('node-a')!;
  // The operator records each school's address in status; the next plan keeps it.
  schools = schools.map((s) => {
    const t = schoolPlacement(s, plan).tunnel;
    return t ? { ...s, status: { tunnel: { ...t, nodePublicKey: nodeKey.publicKey } } } : s;
  });
  const rendered = renderMediaMtxConfig(
    node,
    shard.members,
    () => ({ username: camera.username, password: camera.password }),
    {
      jwksUrl: 'http://127.0.0.1:9000/jwks.json',
      apiAddress: await mediaMtxApiSocket(),
      allowOrigins: ['*'],
      metricsAddress: '127.0.0.1:9998',
      hlsAddress: `:${HLS}`,
      webrtcAddress: ':8889',
      webrtcLocalUDPAddress: ':8189',
    },
  );
  const files = { 'mediamtx.yml': sealMediaMtxConfig(rendered.yaml, CONF_KEY) };
  if (config) await config.swap(files);
  else config = await ConfigMapDir.create(files);
  await sync.apply(renderWireGuardPeers(shard.tunnel!), shard.tunnel!.routes, nodeKey.privateKey);
}

/** Packets that reached the camera's RTSP port from the school LAN (i.e. through the gateway). */
async function packetsToCamera(): Promise<number> {
  const { stdout } = await net.camera.exec('iptables', ['-L', 'INPUT', '-v', '-x', '-n']);
  const line = stdout.split('\n').find((l) => l.includes('dpt:554') && l.includes(net.addresses.gatewayLan));
  return Number(line?.trim().split(/\s+/)[0] ?? NaN);
}

async function gatewayHandshake(): Promise<Date | undefined> {
  return (await sync.handshakes()).find((h) => h.publicKey === gatewayKey.publicKey)?.latestHandshake;
}

/** Whether a TCP connection from the node to host:port opens within 3 s. */
async function nodeConnects(host: string, port: number): Promise<boolean> {
  return net.node.exec('timeout', ['3', 'bash', '-c', `exec 3<>/dev/tcp/${host}/${port}`]).then(
    () => true,
    () => false,
  );
}

const gatewayUp = () => net.gateway.exec('wg-quick', ['up', gatewayConf], USERSPACE);
const gatewayDown = () => net.gateway.exec('wg-quick', ['down', gatewayConf], USERSPACE);
const view = async (path: string) => readHlsSegment(HLS, path, await sign(path), net.addresses.node);

beforeAll(async () => {
  net = await createCgnatSchool();
  camera = await startRtspCamera({
    on: { netns: net.camera.netns, ip: net.addresses.cameraLan },
    port: 554,
    path: CAMERA_PATH,
  });
  // Count what reaches the camera from the LAN side; the harness's own checks come from the root namespace.
  await net.camera.exec('iptables', [
    '-I',
    'INPUT',
    '-s',
    net.addresses.gatewayLan,
    '-p',
    'tcp',
    '--dport',
    '554',
    '-j',
    'ACCEPT',
  ]);
  // A service on the second LAN host, and one more port on the NVR, that the node must never reach.
  await spawnService('other-host', 'ip', [
    'netns',
    'exec',
    net.other.netns,
    'node',
    '-e',
    "require('net').createServer((s) => s.end('open')).listen(554, '0.0.0.0')",
  ]);
  await spawnService('nvr-web', 'ip', [
    'netns',
    'exec',
    net.camera.netns,
    'node',
    '-e',
    "require('net').createServer((s) => s.end('open')).listen(80, '0.0.0.0')",
  ]);

  // The viewer-token keys: MediaMTX fetches them from inside the node's namespace.
  const { publicKey, privateKey } = await joseKeyPair('RS256');
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] });
  jwksServer = await net.node.spawn('jwks', 'node', [
    '-e',
    `require('http').createServer((q, r) => r.writeHead(200, { 'content-type': 'application/json' }).end(${JSON.stringify(jwks)})).listen(9000, '127.0.0.1')`,
  ]);
  sign = (path) =>
    new SignJWT({ mediamtx_permissions: [{ action: 'read', path }] })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(VIEWER_TOKEN_ISSUER)
      .setAudience(viewerTokenAudience('node-a'))
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);

  nodeKey = generateKeyPair();
  gatewayKey = generateKeyPair();
  sync = TunnelSync.create({ iface: NODE_IFACE, exec: inNode(net.node.netns) });
  await sync.ensureInterface(
    '10.255.0.1/24',
    async (iface) => void (await inNode(net.node.netns)('wireguard-go', [iface])),
  );

  schools = [tunnelSchool('s-cgnat', gatewayKey.publicKey, [net.addresses.cameraLan])];
  nvrs = [tunnelNvr('main', 's-cgnat', net.addresses.cameraLan)];
  await applyFleet();
  mediamtx = await startMediaMtx(
    config,
    HLS,
    'mediamtx.yml',
    { netns: net.node.netns, ip: net.addresses.node },
    { MTX_CONFKEY: CONF_KEY },
  );

  // The school's side: the agent's Linux render, brought up by wg-quick on userspace WireGuard.
  const peer = shard.tunnel!.peers[0]!;
  const dir = await harnessDir('gateway');
  gatewayConf = join(dir, `${GATEWAY_IFACE}.conf`);
  await writeFile(
    gatewayConf,
    renderLinuxGateway({
      school: 's-cgnat',
      privateKey: gatewayKey.privateKey,
      address: peer.address,
      nodeAddress: '10.255.0.1',
      nodePublicKey: nodeKey.publicKey,
      endpoint: shard.tunnel!.endpoint,
      persistentKeepalive: 10,
      exposed: [{ host: net.addresses.cameraLan, ports: [554] }],
      iface: GATEWAY_IFACE,
      lanInterface: 'br-lan',
    }),
    { mode: 0o600 },
  );
  const started = Date.now();
  await gatewayUp();
  await eventually(async () => expect(await gatewayHandshake()).toBeDefined(), 30_000, 200);
  figures['first handshake after gateway up'] = `${Date.now() - started} ms`;
}, 180_000);

afterAll(async () => {
  console.log(
    `tunnel figures:\n${Object.entries(figures)
      .map(([k, v]) => `  ${k}: ${v}`)
      .join('\n')}`,
  );
  // Deleting the links lets both wireguard-go processes exit and remove their control sockets.
  await gatewayDown().catch(() => undefined);
  await net?.node.exec('ip', ['link', 'del', NODE_IFACE]).catch(() => undefined);
  await mediamtx?.stop();
  await jwksServer?.stop();
  await camera?.stop();
  await net?.destroy();
});

describe('a school behind CGNAT, through its WireGuard tunnel', () => {
  it('sends no packet from the node to the camera while nobody watches', async () => {
    // Long enough for keepalives and for MediaMTX to have pulled, were it not on demand.
    await new Promise((r) => setTimeout(r, 12_000));
    expect(await packetsToCamera()).toBe(0);
  });

  it('plays the camera to a viewer, pulled through the tunnel on demand', async () => {
    const started = Date.now();
    expect(await eventually(() => view('s-cgnat/main/gate'), 60_000, 500)).toBe(200);
    figures['first HLS segment through the tunnel (cold)'] = `${Date.now() - started} ms`;
    expect(await packetsToCamera()).toBeGreaterThan(0);
  });

  it('refuses a viewer without a token', async () => {
    expect(await readHlsSegment(HLS, 's-cgnat/main/gate', undefined, net.addresses.node)).toBe(401);
  });

  it('reaches neither the second LAN host nor another port of the NVR', async () => {
    expect(await nodeConnects(net.addresses.otherLan, 554)).toBe(false);
    expect(await nodeConnects(net.addresses.cameraLan, 80)).toBe(false);
    expect(await nodeConnects(net.addresses.cameraLan, camera.apiPort)).toBe(false);
    // Control: the declared port does open, so the refusals above are the tunnel's and not a broken path.
    expect(await nodeConnects(net.addresses.cameraLan, 554)).toBe(true);
  });

  it('tests the NVR from the node through the tunnel with the probe sidecar, which reaches nothing undeclared', async () => {
    const allowlist = await ConfigMapDir.create({
      'allowlist.json': renderProbeAllowlist(
        'node-a',
        shard.members.map(({ nvr: n }) => ({
          namespace: 'posbon-fleet',
          name: n.metadata.name,
          publicHost: n.spec.tunnel!.host,
          publicRtspPort: n.spec.tunnel!.rtspPort,
          tunnel: true,
          credentialsSecret: 'cam',
        })),
      ),
    });
    const credentials = await ConfigMapDir.create({
      'posbon-fleet.cam.username': camera.username,
      'posbon-fleet.cam.password': camera.password,
    });
    const token = randomBytes(16).toString('hex');
    const probe = await net.node.spawn(
      'probe',
      process.execPath,
      ['--import', 'tsx', join(process.cwd(), 'operator/probe/main.ts')],
      {
        env: {
          ...process.env,
          POSBON_PROBE_NODE: 'node-a',
          POSBON_PROBE_ALLOWLIST: allowlist.path('allowlist.json'),
          POSBON_PROBE_TOKEN: token,
          POSBON_PROBE_CREDENTIALS_DIR: credentials.dir,
          POSBON_PROBE_LISTEN: `${net.addresses.node}:9440`,
          POSBON_PROBE_BURST: '20',
        },
      },
    );
    try {
      await waitForPort(9440, probe, 30_000, net.addresses.node);
      const client = ProbeClient.create({ baseUrl: `http://${net.addresses.node}:9440`, token });
      expect(await client.rtsp('posbon-fleet/main', { path: CAMERA_PATH })).toMatchObject({
        reason: 'Ok',
        address: net.addresses.cameraLan,
      });
      expect(await client.tcp('posbon-fleet/main', 80)).toMatchObject({ reason: 'NotAllowlisted' });
      expect(await client.tcp('posbon-fleet/other', 554)).toMatchObject({ reason: 'NotAllowlisted' });
    } finally {
      await probe.stop();
    }
  });

  it('keeps the LAN closed even to a node that widens its own peer: the gateway filters too', async () => {
    const exec = inNode(net.node.netns);
    const widened = `10.255.0.0/24,${net.addresses.cameraLan}/32,${net.addresses.otherLan}/32`;
    await exec('wg', [
      'set',
      NODE_IFACE,
      'peer',
      gatewayKey.publicKey,
      'allowed-ips',
      `${shard.tunnel!.peers[0]!.address}/32,${widened}`,
    ]);
    await exec('ip', ['route', 'replace', `${net.addresses.otherLan}/32`, 'dev', NODE_IFACE]);
    try {
      expect(await nodeConnects(net.addresses.otherLan, 554)).toBe(false);
      expect(await nodeConnects(net.addresses.cameraLan, 80)).toBe(false);
    } finally {
      await applyFleet();
    }
    expect(await sync.currentRoutes()).toEqual([`${net.addresses.cameraLan}/32`]);
  });

  it('adds a tunnel school while a viewer watches, without touching the watched session', async () => {
    const sessions = async () => {
      const res = await fetch(`http://${net.addresses.cameraLan}:${camera.apiPort}/v3/rtspsessions/list`);
      return ((await res.json()) as { items: Array<{ id: string; state: string }> }).items
        .filter((s) => s.state === 'read')
        .map((s) => s.id);
    };
    expect(await eventually(() => view('s-cgnat/main/gate'), 30_000, 500)).toBe(200);
    const before = await sessions();
    expect(before).toHaveLength(1);
    const address = schools[0]!.status!.tunnel!.address;
    let failures = 0;
    let reads = 0;
    let watching = true;
    const viewer = (async () => {
      while (watching) {
        try {
          if ((await view('s-cgnat/main/gate')) === 200) reads++;
          else failures++;
        } catch {
          failures++;
        }
        await new Promise((r) => setTimeout(r, 300));
      }
    })();
    const other = generateKeyPair();
    schools = [...schools, tunnelSchool('s-second', other.publicKey, ['192.168.40.0/24'])];
    nvrs = [...nvrs, tunnelNvr('second-main', 's-second', '192.168.40.9')];
    await applyFleet();
    await new Promise((r) => setTimeout(r, 5_000));
    watching = false;
    await viewer;
    expect(shard.tunnel!.peers.map((p) => p.school)).toEqual(['s-cgnat', 's-second']);
    expect(schools[0]!.status!.tunnel!.address).toBe(address);
    expect(failures).toBe(0);
    expect(reads).toBeGreaterThan(0);
    expect(await sessions()).toEqual(before);
  });

  it('recovers after the gateway restarts, with no change in Git', async () => {
    const before = (await gatewayHandshake())!;
    await gatewayDown();
    const started = Date.now();
    await gatewayUp();
    await eventually(
      async () => expect((await gatewayHandshake())!.getTime()).toBeGreaterThan(before.getTime()),
      60_000,
      200,
    );
    figures['handshake after gateway restart'] = `${Date.now() - started} ms (handshake times have 1 s resolution)`;
    expect(await eventually(() => view('s-cgnat/main/gate'), 60_000, 500)).toBe(200);
    figures['viewer read after gateway restart'] = `${Date.now() - started} ms`;
  });

  it('follows the gateway to a new public address through the NAT, with no change in Git', async () => {
    const started = Date.now();
    await net.changeNatAddress('203.0.113.51');
    await eventually(
      async () => {
        const peer = (await sync.handshakes()).find((h) => h.publicKey === gatewayKey.publicKey);
        expect(peer?.endpoint?.startsWith('203.0.113.51:')).toBe(true);
      },
      60_000,
      200,
    );
    figures['node sees the new NAT address (keepalive 10 s)'] = `${Date.now() - started} ms`;
    expect(await eventually(() => view('s-cgnat/main/gate'), 60_000, 500)).toBe(200);
    figures['viewer read after the NAT address change'] = `${Date.now() - started} ms`;
  });
});
