// `npm start`'s media: one MediaMTX per example media node, serving its rendered config on loopback ports, and an
// example camera (ffmpeg's moving test pattern, published into a MediaMTX that plays the NVR) behind the example
// NVRs' address. Only this shell points the example at 127.0.0.1; the resource model refuses loopback hosts.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { stringify } from 'yaml';
import {
  type Fleet,
  renderMediaMtxConfig,
  type RenderOptions,
  DEFAULT_RENDER_OPTIONS,
  type FleetPlan,
} from '../../operator/core/index.js';
import { ensureTool, isBuilt } from '../../lib/tools/go-build.js';
import { mediamtx } from '../../lib/tools/mediamtx.js';

/** Ports from a base: node i takes base+10i (HLS), +1 (WHEP), +2 (WebRTC UDP), +3 (metrics); the camera base+9. */
export interface LocalMediaPorts {
  base: number;
}

const nodePorts = (base: number, index: number) => ({
  hls: base + 10 * index,
  webrtc: base + 10 * index + 1,
  udp: base + 10 * index + 2,
  metrics: base + 10 * index + 3,
});
const cameraPort = (base: number) => base + 9;
export const CAMERA_USER = 'posbon';

/** The fleet as the local run serves it: NVRs at the local camera, media nodes' URLs at their local MediaMTX. */
export function localFleet(fleet: Fleet, base: number): Fleet {
  return {
    schools: fleet.schools,
    nvrs: fleet.nvrs.map((nvr) => ({ ...nvr, spec: { ...nvr.spec, publicHost: '127.0.0.1', publicRtspPort: cameraPort(base) } })),
    nodes: fleet.nodes.map((node, i) => {
      const ports = nodePorts(base, i);
      return { ...node, spec: { ...node.spec, webrtcBaseUrl: `http://127.0.0.1:${ports.webrtc}`, hlsBaseUrl: `http://127.0.0.1:${ports.hls}` } };
    }),
  };
}

interface Child {
  name: string;
  logFile: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

async function start(name: string, command: string, args: string[], logDir: string): Promise<Child> {
  const logFile = join(logDir, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    name,
    logFile,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // The group: MediaMTX's on-demand children go with it.
      process.kill(-child.pid!, 'SIGTERM');
      const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function waitForPort(port: number, child: Child, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child.process.exitCode !== null) {
      const tail = (await readFile(child.logFile, 'utf8').catch(() => '')).trim().split('\n').slice(-3).join(' | ');
      throw new Error(`${child.name} exited (code ${child.process.exitCode}): ${tail} (${child.logFile})`);
    }
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${child.name} did not open port ${port}`);
}

const has = (command: string) => spawnSync(command, ['-version'], { stdio: 'ignore' }).error === undefined;

export interface LocalMedia {
  /** What the banner prints about the live view. */
  lines: string[];
  stop(): Promise<void>;
}

export interface LocalMediaOptions {
  fleet: Fleet;
  plan: FleetPlan;
  base: number;
  dataDir: string;
  apiUrl: string;
  nvrPassword: string;
  log: (line: string) => void;
  /**
   * MediaMTX's pause before an unwatched pull stops (rendered 10s) and before an unrequested HLS muxer closes (60s);
   * the benchmark shortens both so that every play starts the pull cold.
   */
  onDemandCloseAfter?: string;
}

/** The loopback twin of the camera NVR: an RTSP server that demands the NVR's credentials, fed one test pattern. */
async function startCamera(bin: string, options: LocalMediaOptions, dir: string, logDir: string): Promise<Child[]> {
  const port = cameraPort(options.base);
  const rtspPaths = [...options.plan.shards.values()].flatMap((s) => s.members.flatMap((m) => m.cameras.flatMap((c) => [c.rtspPath, c.webrtcFallback?.rtspPath ?? []].flat())));
  // A query (Dahua's ?channel=1&subtype=1) is not part of the path an RTSP server sees.
  const paths = [...new Set(rtspPaths.map((p) => p.replace(/^\//, '').replace(/\?.*$/, '')))].sort();
  const config = {
    logLevel: 'warn',
    rtspAddress: `127.0.0.1:${port}`,
    rtspTransports: ['tcp'],
    rtmp: false,
    hls: false,
    webrtc: false,
    srt: false,
    moq: false,
    api: false,
    authMethod: 'internal',
    authInternalUsers: [
      { user: 'any', pass: '', ips: ['127.0.0.1/32'], permissions: [{ action: 'publish' }] },
      { user: CAMERA_USER, pass: options.nvrPassword, ips: [], permissions: [{ action: 'read' }] },
    ],
    paths: Object.fromEntries(paths.map((p) => [p, { source: 'publisher' }])),
  };
  const file = join(dir, 'camera.yml');
  await writeFile(file, stringify(config), { mode: 0o600 });
  const server = await start('camera-rtsp', bin, [file], logDir);
  await waitForPort(port, server);
  // One encode, one output per NVR channel path. H.264 Constrained Baseline: every WebRTC browser decodes it.
  const outputs = paths.map((p) => `[f=rtsp:rtsp_transport=tcp]rtsp://127.0.0.1:${port}/${p}`).join('|');
  const ffmpeg = await start(
    'camera-ffmpeg',
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=15',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-g', '15', '-pix_fmt', 'yuv420p',
      '-f', 'tee', '-map', '0:v', outputs],
    logDir,
  );
  return [ffmpeg, server];
}

async function startNodes(bin: string, options: LocalMediaOptions, dir: string, logDir: string): Promise<{ children: Child[]; lines: string[] }> {
  const children: Child[] = [];
  const lines: string[] = [];
  const credentials = () => ({ username: CAMERA_USER, password: options.nvrPassword });
  for (const [i, node] of options.fleet.nodes.entries()) {
    const shard = options.plan.shards.get(node.metadata.name);
    if (!shard) continue;
    const ports = nodePorts(options.base, i);
    const render: RenderOptions = {
      ...DEFAULT_RENDER_OPTIONS,
      jwksUrl: `${options.apiUrl}/.well-known/jwks.json`,
      // The control API on a socket of this run's own folder, not the pod's volume path.
      apiAddress: `unix://${join(dir, `api-${node.metadata.name}.sock`)}`,
      allowOrigins: [options.apiUrl],
      metricsAddress: `127.0.0.1:${ports.metrics}`,
      hlsAddress: `127.0.0.1:${ports.hls}`,
      webrtcAddress: `127.0.0.1:${ports.webrtc}`,
      webrtcLocalUDPAddress: `127.0.0.1:${ports.udp}`,
    };
    const { config } = renderMediaMtxConfig(shard.node, shard.members, credentials, render);
    // On loopback the node's only reachable candidate is 127.0.0.1; its public egress IPs would only slow ICE down.
    Object.assign(config, { webrtcIPsFromInterfaces: false, webrtcAdditionalHosts: ['127.0.0.1'] });
    if (options.onDemandCloseAfter) {
      Object.assign(config.pathDefaults as object, { sourceOnDemandCloseAfter: options.onDemandCloseAfter });
      Object.assign(config, { hlsMuxerCloseAfter: options.onDemandCloseAfter });
    }
    const file = join(dir, `mediamtx-${node.metadata.name}.yml`);
    // The NVR password is in it: readable by this user only, like keys.json beside it.
    await writeFile(file, stringify(config), { mode: 0o600 });
    const child = await start(`mediamtx-${node.metadata.name}`, bin, [file], logDir);
    children.push(child);
    await waitForPort(ports.webrtc, child);
    lines.push(`  ${node.metadata.name.padEnd(16)} WHEP http://127.0.0.1:${ports.webrtc}  HLS http://127.0.0.1:${ports.hls}`);
  }
  return { children, lines };
}

/**
 * Starts the local live view. Without ffmpeg, or without MediaMTX and Go to build it, it says in one line what to
 * install and returns; the rest of `npm start` runs on.
 */
export async function startLocalMedia(options: LocalMediaOptions): Promise<LocalMedia> {
  const off = (why: string): LocalMedia => ({ lines: [`  live view off: ${why}`], stop: async () => undefined });
  if (!has('ffmpeg')) return off('the example camera needs ffmpeg (Debian: apt-get install ffmpeg); then run npm start again');
  if (!isBuilt(mediamtx) && !has('go')) return off('MediaMTX is built from its Go module on first use: install Go 1.26 (https://go.dev/dl), then run npm start again');
  if (!isBuilt(mediamtx)) options.log('building MediaMTX on first use (a few minutes; cached in ~/.cache/posbon/tools)…');
  const bin = await ensureTool(mediamtx, options.log);
  const dir = join(options.dataDir, 'media');
  const logDir = join(dir, 'logs');
  await mkdir(logDir, { recursive: true, mode: 0o700 });
  const camera = await startCamera(bin, options, dir, logDir);
  const nodes = await startNodes(bin, options, dir, logDir).catch(async (error: unknown) => {
    for (const c of camera) await c.stop();
    throw error;
  });
  const all = [...nodes.children, ...camera];
  return {
    lines: [...nodes.lines, `  example camera   rtsp://127.0.0.1:${cameraPort(options.base)} (ffmpeg test pattern), logs in ${logDir}`],
    async stop() {
      for (const child of all) await child.stop();
    },
  };
}
