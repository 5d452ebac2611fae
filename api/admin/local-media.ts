// `npm start`'s media: one MediaMTX per example media node, serving its rendered config on loopback ports, and an
// example camera (ffmpeg's moving test pattern, published into a MediaMTX that plays the NVR) behind the example
// NVRs' address. Only this shell points the example at 127.0.0.1; the resource model refuses loopback hosts.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
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

/** How long a child may take to exit after SIGTERM; all stop at once, so `npm start` stops within this and its own steps. */
const STOP_GRACE_MS = 3_000;

/** The processes a run started, by pid and command line: a run that died without stopping them leaves this file. */
const PIDS_FILE = 'pids.json';

interface Started {
  pid: number;
  cmdline: string;
}

const cmdlineOf = (command: string, args: string[]) => [command, ...args].join('\0');

/** A process of an earlier run that is still running: its pid now runs the very command line the run recorded. */
async function stillRunning({ pid, cmdline }: Started): Promise<boolean> {
  const now = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return now.replace(/\0$/, '') === cmdline;
}

/**
 * Stops what an earlier run of this data folder left running (it was killed before it could stop them): otherwise a
 * left-over MediaMTX keeps the node's ports, and this run would seem to start while the old one answers.
 */
async function stopLeftovers(dir: string, log: (line: string) => void): Promise<void> {
  const recorded = JSON.parse(await readFile(join(dir, PIDS_FILE), 'utf8').catch(() => '[]')) as Started[];
  // Which ones run is read before any is stopped, and all are stopped at once: stopping the camera's MediaMTX first
  // would let its ffmpeg exit on its own, unnamed, before its turn came.
  const left: Started[] = [];
  for (const started of recorded) if (await stillRunning(started)) left.push(started);
  for (const started of left) {
    log(`  stopping pid ${started.pid}, left running by an earlier npm start of this data folder`);
    try {
      process.kill(-started.pid, 'SIGKILL');
    } catch {
      // Gone in the meantime.
    }
  }
  for (const started of left) for (let i = 0; i < 50 && (await stillRunning(started)); i++) await new Promise((r) => setTimeout(r, 100));
}

/** Fails with the port's number when another process listens on it, instead of taking its answers for the child's. */
async function ensureFree(ports: number[]): Promise<void> {
  for (const port of ports) {
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (!free) throw new Error(`port ${port} is in use by another program; set POSBON_LOCAL_MEDIA_PORT to a free range of 20 ports`);
  }
}

/** What one run started: the processes to stop, and their pids and command lines for the next run. */
interface Run {
  started: Started[];
  children: Child[];
}

async function start(name: string, command: string, args: string[], logDir: string, run: Run): Promise<Child> {
  const logFile = join(logDir, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  run.started.push({ pid: child.pid!, cmdline: cmdlineOf(command, args) });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const started: Child = {
    name,
    logFile,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // The group: MediaMTX's on-demand children go with it.
      process.kill(-child.pid!, 'SIGTERM');
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // The group went in the meantime.
        }
      }, STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
  run.children.push(started);
  return started;
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
async function startCamera(bin: string, options: LocalMediaOptions, dir: string, logDir: string, run: Run): Promise<void> {
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
  await ensureFree([port]);
  const server = await start('camera-rtsp', bin, [file], logDir, run);
  await waitForPort(port, server);
  // One encode, one output per NVR channel path. H.264 Constrained Baseline: every WebRTC browser decodes it.
  const outputs = paths.map((p) => `[f=rtsp:rtsp_transport=tcp]rtsp://127.0.0.1:${port}/${p}`).join('|');
  await start(
    'camera-ffmpeg',
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=15',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-g', '15', '-pix_fmt', 'yuv420p',
      '-f', 'tee', '-map', '0:v', outputs],
    logDir,
    run,
  );
}

/** The media nodes' MediaMTX processes; what the banner says of each. */
async function startNodes(bin: string, options: LocalMediaOptions, dir: string, logDir: string, run: Run): Promise<string[]> {
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
    await ensureFree([ports.hls, ports.webrtc, ports.metrics]);
    const child = await start(`mediamtx-${node.metadata.name}`, bin, [file], logDir, run);
    await waitForPort(ports.webrtc, child);
    lines.push(`  ${node.metadata.name.padEnd(16)} WHEP http://127.0.0.1:${ports.webrtc}  HLS http://127.0.0.1:${ports.hls}`);
  }
  return lines;
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
  await stopLeftovers(dir, options.log);
  const run: Run = { started: [], children: [] };
  // All at once, each given STOP_GRACE_MS: one that hangs while shutting down holds up none of the others.
  const stop = async () => {
    await Promise.all(run.children.map((c) => c.stop()));
  };
  // Recorded after each step, so that even a run killed while starting leaves what the next run must stop.
  const record = () => writeFile(join(dir, PIDS_FILE), `${JSON.stringify(run.started)}\n`, { mode: 0o600 });
  try {
    await startCamera(bin, options, dir, logDir, run).finally(record);
    const lines = await startNodes(bin, options, dir, logDir, run).finally(record);
    return { lines: [...lines, `  example camera   rtsp://127.0.0.1:${cameraPort(options.base)} (ffmpeg test pattern), logs in ${logDir}`], stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
