// Prints figures of tunnel mode against public mode in the same run: time to the first frame pulled from the node,
// the tunnel's byte overhead on one camera, and the node's CPU for the tunnel per stream.
// Run as root: npx tsx bench/tunnel.ts [rounds] [seconds]
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { generateKeyPair, renderLinuxGateway } from '../agent/tunnel.js';
import { mediaNode, nvr, school } from '../test/fixtures/fleet.js';
import { eventually, harnessDir, startRtspCamera, type RtspCamera } from '../test/harness/index.js';
import { createCgnatSchool } from '../test/harness/tunnel-topology.js';
import { planFleet } from '../operator/core/plan.js';
import { renderWireGuardPeers } from '../operator/core/tunnel.js';
import { TunnelSync, execCommand, type Exec } from '../operator/tunnel/sync.js';

const rounds = Number(process.argv[2] ?? 10);
const seconds = Number(process.argv[3] ?? 20);
const ENV = { ...process.env, WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD: '1', WG_QUICK_USERSPACE_IMPLEMENTATION: 'wireguard-go' };
const PUBLIC = '203.0.113.80';
const id = Math.random().toString(16).slice(2, 6);
const nodeIface = `pbn${id}`;
const gatewayIface = `pbg${id}`;

const net = await createCgnatSchool();
const exec: Exec = (command, args, input) => execCommand(ENV)('ip', ['netns', 'exec', net.node.netns, command, ...args], input);
let camera: RtspCamera | undefined;
let gatewayConf = '';
try {
  camera = await startRtspCamera({ on: { netns: net.camera.netns, ip: net.addresses.cameraLan }, port: 554, size: '1280x720', bitrate: '4M' });
  // Public mode on the same camera: a direct link from the node to a public-looking address the camera answers on.
  await execCommand()('ip', ['link', 'add', `tp${id}n`, 'netns', net.node.netns, 'type', 'veth', 'peer', 'name', `tp${id}c`, 'netns', net.camera.netns]);
  await exec('ip', ['link', 'set', `tp${id}n`, 'up']);
  await exec('ip', ['route', 'add', `${PUBLIC}/32`, 'dev', `tp${id}n`]);
  await net.camera.exec('ip', ['link', 'set', `tp${id}c`, 'up']);
  await net.camera.exec('ip', ['addr', 'add', `${PUBLIC}/32`, 'dev', `tp${id}c`]);
  await net.camera.exec('ip', ['route', 'add', `${net.addresses.node}/32`, 'dev', `tp${id}c`]);
  await net.camera.exec('iptables', ['-t', 'nat', '-A', 'PREROUTING', '-d', PUBLIC, '-p', 'tcp', '--dport', '554', '-j', 'DNAT', '--to-destination', `${net.addresses.cameraLan}:554`]);
  // Bytes the camera sends back through the gateway: the payload the tunnel carries.
  await net.camera.exec('iptables', ['-I', 'OUTPUT', '-d', net.addresses.gatewayLan, '-p', 'tcp', '--sport', '554', '-j', 'ACCEPT']);

  const nodeKey = generateKeyPair();
  const gatewayKey = generateKeyPair();
  const node = mediaNode('node-a', { egressIPs: [net.addresses.node], tunnel: { addressRange: '10.255.0.0/24', listenPort: 51820 } });
  const tunnelNvr = nvr('main', 's', 1, { connectivity: 'tunnel', tunnel: { host: net.addresses.cameraLan, rtspPort: 554 } });
  delete tunnelNvr.spec.publicHost;
  const plan = planFleet({ nodes: [node], schools: [school('s', { networkMode: 'tunnel', mediaNodeRef: 'node-a', tunnel: { publicKey: gatewayKey.publicKey, expose: [net.addresses.cameraLan], persistentKeepalive: 10 } })], nvrs: [tunnelNvr] });
  const tunnel = plan.shards.get('node-a')!.tunnel!;
  const sync = TunnelSync.create({ iface: nodeIface, exec });
  await sync.ensureInterface(tunnel.address, async (iface) => void (await exec('wireguard-go', [iface])));
  await sync.apply(renderWireGuardPeers(tunnel), tunnel.routes, nodeKey.privateKey);
  const dir = await harnessDir('bench-gw');
  gatewayConf = join(dir, `${gatewayIface}.conf`);
  await writeFile(gatewayConf, renderLinuxGateway({ school: 's', privateKey: gatewayKey.privateKey, address: tunnel.peers[0]!.address, nodeAddress: tunnel.address.split('/')[0]!, nodePublicKey: nodeKey.publicKey, endpoint: tunnel.endpoint, persistentKeepalive: 10, exposed: [{ host: net.addresses.cameraLan, ports: [554] }], iface: gatewayIface, lanInterface: 'br-lan' }), { mode: 0o600 });
  await net.gateway.exec('wg-quick', ['up', gatewayConf], ENV);
  await eventually(async () => {
    if (!(await sync.handshakes())[0]?.latestHandshake) throw new Error('no handshake');
  }, 30_000, 200);

  const url = (host: string) => `rtsp://${camera!.username}:${camera!.password}@${host}:554/${camera!.path}`;
  const firstFrame = async (host: string) => {
    const started = performance.now();
    // Short stream analysis, so the figure is the network path and the first keyframe, not ffmpeg's probing.
    await exec('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-rtsp_transport', 'tcp', '-analyzeduration', '100000', '-probesize', '32768', '-i', url(host), '-frames:v', '1', '-f', 'null', '-']);
    return performance.now() - started;
  };
  const times = { tunnel: [] as number[], public: [] as number[] };
  for (let i = 0; i < rounds; i++) {
    times.tunnel.push(await firstFrame(net.addresses.cameraLan));
    times.public.push(await firstFrame(PUBLIC));
  }
  const stat = (ms: number[]) => {
    const s = [...ms].sort((a, b) => a - b);
    return `p50=${s[Math.floor(s.length / 2)]!.toFixed(0)} ms  max=${s[s.length - 1]!.toFixed(0)} ms`;
  };
  console.log(`time to first frame (ffmpeg on the node, ${rounds} rounds each, same camera):`);
  console.log(`  through the tunnel  ${stat(times.tunnel)}`);
  console.log(`  public mode         ${stat(times.public)}`);

  // One stream pulled for a while through the tunnel: bytes on the LAN against bytes in WireGuard, and CPU.
  const pid = Number((await execCommand()('pgrep', ['-f', `wireguard-go ${nodeIface}`])).trim().split('\n')[0]);
  const cpu = async () => {
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  };
  const lanBytes = async () => {
    const { stdout } = await net.camera.exec('iptables', ['-L', 'OUTPUT', '-v', '-x', '-n']);
    return Number(stdout.split('\n').find((l) => l.includes('spt:554'))!.trim().split(/\s+/)[1]);
  };
  const wgRx = async () => (await sync.handshakes())[0]!.rxBytes;
  const [lan0, wg0, cpu0] = [await lanBytes(), await wgRx(), await cpu()];
  const started = performance.now();
  await promisify(execFile)('ip', ['netns', 'exec', net.node.netns, 'ffmpeg', '-hide_banner', '-loglevel', 'error', '-rtsp_transport', 'tcp', '-i', url(net.addresses.cameraLan), '-t', String(seconds), '-c', 'copy', '-f', 'null', '-']);
  const wall = (performance.now() - started) / 1000;
  const [lan1, wg1, cpu1] = [await lanBytes(), await wgRx(), await cpu()];
  const payload = lan1 - lan0;
  const carried = wg1 - wg0;
  console.log(`one camera (1280x720 test pattern, H.264 at a constant 4 Mbit/s) pulled through the tunnel for ${wall.toFixed(1)} s:`);
  console.log(`  stream rate          ${((payload * 8) / wall / 1e6).toFixed(2)} Mbit/s (TCP bytes the camera sent)`);
  console.log(`  WireGuard bytes      ${((carried * 8) / wall / 1e6).toFixed(2)} Mbit/s received by the node  → overhead ${(((carried - payload) / payload) * 100).toFixed(1)} %`);
  console.log(`  node wireguard-go    ${((cpu1 - cpu0) / wall).toFixed(3)} cores for this stream (userspace; the kernel module costs less)`);
  console.log(`  MediaMTX baseline    3 cores / 150 WebRTC viewers = 0.020 cores per viewer`);
} finally {
  if (gatewayConf) await net.gateway.exec('wg-quick', ['down', gatewayConf], ENV).catch(() => undefined);
  await exec('ip', ['link', 'del', nodeIface]).catch(() => undefined);
  await camera?.stop();
  await net.destroy();
}
