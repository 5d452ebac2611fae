// Real MediaMTX processes: a media node reading a ConfigMap-style folder, and a fake NVR camera fed by ffmpeg.
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { mkdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ensureTool, mediamtx } from '../tools/tools.js';
import { GiveUp, HARNESS_PREFIX, eventually, freePort, harnessDir, spawnService, waitForPort, type Service } from './process.js';

/**
 * A folder laid out the way the kubelet writes a ConfigMap volume: files are links through `..data`,
 * which points at a timestamped folder and is swapped atomically by a rename.
 */
export class ConfigMapDir {
  private generation = 0;
  private constructor(readonly dir: string) {}

  static async create(files: Record<string, string>): Promise<ConfigMapDir> {
    const dir = new ConfigMapDir(await harnessDir('configmap'));
    await dir.swap(files);
    return dir;
  }

  path(file: string): string {
    return join(this.dir, file);
  }

  async swap(files: Record<string, string>): Promise<void> {
    const version = `..${Date.now()}_${++this.generation}`;
    await mkdir(join(this.dir, version));
    for (const [name, content] of Object.entries(files)) await writeFile(join(this.dir, version, name), content);
    const previous = await readlink(join(this.dir, '..data')).catch(() => undefined);
    await symlink(version, join(this.dir, '..data_tmp'));
    await rename(join(this.dir, '..data_tmp'), join(this.dir, '..data'));
    for (const name of Object.keys(files)) {
      await symlink(join('..data', name), join(this.dir, name)).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw e;
      });
    }
    if (previous) await rm(join(this.dir, previous), { recursive: true, force: true });
  }
}

export interface MediaMtxPorts {
  rtsp: number;
  hls: number;
  webrtc: number;
  api: number;
  metrics: number;
}

export async function allocateMediaMtxPorts(): Promise<MediaMtxPorts> {
  return { rtsp: await freePort(), hls: await freePort(), webrtc: await freePort(), api: await freePort(), metrics: await freePort() };
}

/**
 * Global keys that bind every server to loopback on free ports and switch off what tests never use,
 * so that several MediaMTX processes can run side by side.
 */
export function loopbackGlobals(ports: MediaMtxPorts): Record<string, unknown> {
  return {
    logLevel: 'info',
    rtspTransports: ['tcp'],
    rtspAddress: `127.0.0.1:${ports.rtsp}`,
    rtmp: false,
    srt: false,
    moq: false,
    hlsAddress: `127.0.0.1:${ports.hls}`,
    webrtcAddress: `127.0.0.1:${ports.webrtc}`,
    webrtcLocalUDPAddress: '',
    webrtcLocalTCPAddress: '',
    webrtcIPsFromInterfaces: false,
    webrtcAdditionalHosts: ['127.0.0.1'],
    apiAddress: `127.0.0.1:${ports.api}`,
    metricsAddress: `127.0.0.1:${ports.metrics}`,
  };
}

/** A `unix://` address for a rendered node's control API, in a folder of its own (never the watched config folder). */
export async function mediaMtxApiSocket(): Promise<string> {
  return `unix://${join(await harnessDir('mediamtx-api'), 'api.sock')}`;
}

/** Calls a MediaMTX control API that listens on a `unix://` socket; the parsed JSON answer, if any. */
export function callMediaMtxApi(address: string, method: 'GET' | 'POST', path: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: address.replace(/^unix:\/\//, ''), method, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as unknown) : undefined });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

export interface MediaMtx {
  service: Service;
  config: ConfigMapDir;
  stop(): Promise<void>;
}

/** Where a server runs when it is not on the root namespace's loopback: a test host from `createTestHost`. */
export interface OnHost {
  netns: string;
  ip: string;
}

/** Starts MediaMTX on `<config dir>/<file>`; `waitPort` is a port of the config that answers once it runs. */
export async function startMediaMtx(
  config: ConfigMapDir,
  waitPort: number,
  file = 'mediamtx.yml',
  on?: OnHost,
  env: Record<string, string> = {},
): Promise<MediaMtx> {
  const bin = await ensureTool(mediamtx, console.log);
  const service = await spawnService('mediamtx', bin, [config.path(file)], {
    cwd: config.dir,
    env: { ...process.env, ...env },
    ...(on ? { netns: on.netns } : {}),
  });
  await waitForPort(waitPort, service, 30_000, on?.ip);
  return { service, config, stop: () => service.stop() };
}

export interface PathState {
  ready: boolean;
  readers: number;
  tracks: string[];
}

/** Reads one path's state from a MediaMTX control API. */
export async function pathState(apiPort: number, path: string, host = '127.0.0.1'): Promise<PathState | undefined> {
  const res = await fetch(`http://${host}:${apiPort}/v3/paths/get/${path}`);
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`MediaMTX API ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { ready: boolean; readers: unknown[]; tracks: string[] };
  return { ready: body.ready, readers: body.readers.length, tracks: body.tracks };
}

/** A WHEP viewer: another MediaMTX pulling `source` (`whep://` or `wheps://`) with a bearer token into its path `watch`. */
export interface WhepReader extends MediaMtx {
  ports: MediaMtxPorts;
  /** The reader's view of its path `watch`: ready once the WebRTC session plays. */
  state(): Promise<PathState | undefined>;
  /** Bytes received on `watch` so far: growing while the session plays. */
  bytesReceived(): Promise<number>;
}

/** Starts a WHEP reader; with `fingerprint`, a `wheps://` source trusts exactly that certificate (MediaMTX's sourceFingerprint). */
export async function startWhepReader(source: string, token: string, fingerprint?: string): Promise<WhepReader> {
  const ports = await allocateMediaMtxPorts();
  const watch = { source, whepBearerToken: token, ...(fingerprint ? { sourceFingerprint: fingerprint } : {}) };
  const config = await ConfigMapDir.create({
    'mediamtx.yml': stringify({ ...loopbackGlobals(ports), hls: false, webrtc: false, api: true, paths: { watch } }),
  });
  const server = await startMediaMtx(config, ports.api);
  return {
    ...server,
    ports,
    state: () => pathState(ports.api, 'watch'),
    async bytesReceived() {
      const res = await fetch(`http://127.0.0.1:${ports.api}/v3/paths/get/watch`);
      return ((await res.json()) as { bytesReceived: number }).bytesReceived;
    },
  };
}

export interface RtspCamera {
  host: string;
  port: number;
  path: string;
  username: string;
  password: string;
  /** rtsp://user:pass@host:port/path */
  url: string;
  apiPort: number;
  /** How many clients are pulling the stream right now. */
  readers(): Promise<number>;
  stop(): Promise<void>;
}

export interface CameraOptions {
  path?: string;
  codec?: 'h264' | 'h265';
  size?: string;
  /** Serve from this test host instead of the root namespace's loopback. */
  on?: OnHost;
  /** MediaMTX `rtspAuthMethods`; its default is `[basic]`. */
  rtspAuthMethods?: ('basic' | 'digest')[];
  /** Use this port instead of a free one (a test host has all its ports free). */
  port?: number;
  /** The reader's password instead of a random one, e.g. one NVR password for several channels. */
  password?: string;
  /** A constant H.264 bitrate (`4M`), padded when the pattern compresses better, for throughput figures. */
  bitrate?: string;
}

/**
 * A fake NVR camera: a MediaMTX publisher path that demands an RTSP username and password,
 * fed a test pattern by ffmpeg.
 */
export async function startRtspCamera(options: CameraOptions = {}): Promise<RtspCamera> {
  const path = options.path ?? 'Streaming/Channels/101';
  const ports = await allocateMediaMtxPorts();
  if (options.port) ports.rtsp = options.port;
  const host = options.on?.ip ?? '127.0.0.1';
  const username = 'viewer';
  const password = options.password ?? randomBytes(8).toString('hex');
  const publisher = { user: 'publisher', pass: randomBytes(8).toString('hex') };
  const config = await ConfigMapDir.create({
    'mediamtx.yml': stringify({
      ...loopbackGlobals(ports),
      rtspAddress: `${host}:${ports.rtsp}`,
      apiAddress: `${host}:${ports.api}`,
      ...(options.rtspAuthMethods ? { rtspAuthMethods: options.rtspAuthMethods } : {}),
      hls: false,
      webrtc: false,
      api: true,
      authMethod: 'internal',
      authInternalUsers: [
        { user: publisher.user, pass: publisher.pass, ips: [], permissions: [{ action: 'publish', path }] },
        { user: username, pass: password, ips: [], permissions: [{ action: 'read', path }] },
        // On a test host the harness reaches the API from the root namespace, whose source address varies.
        { user: 'any', pass: '', ips: options.on ? [] : ['127.0.0.1'], permissions: [{ action: 'api' }] },
      ],
      paths: { [path]: { source: 'publisher' } },
    }),
  });
  const server = await startMediaMtx(config, ports.rtsp, 'mediamtx.yml', options.on);
  const cbr = options.bitrate ? ['-b:v', options.bitrate, '-minrate', options.bitrate, '-maxrate', options.bitrate, '-bufsize', options.bitrate, '-x264-params', 'nal-hrd=cbr'] : [];
  const encoder = options.codec === 'h265' ? ['-c:v', 'libx265', '-x265-params', 'log-level=error'] : ['-c:v', 'libx264', ...cbr];
  const ffmpeg = await spawnService('ffmpeg', 'ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-re',
    '-f', 'lavfi', '-i', `testsrc=size=${options.size ?? '640x360'}:rate=15`,
    ...encoder, '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '15', '-pix_fmt', 'yuv420p',
    // The marker lets a leftover-process check find this ffmpeg too.
    '-metadata', `comment=${HARNESS_PREFIX}camera`,
    '-f', 'rtsp', '-rtsp_transport', 'tcp',
    `rtsp://${publisher.user}:${publisher.pass}@${host}:${ports.rtsp}/${path}`,
  ], options.on ? { netns: options.on.netns } : {});
  const stop = async () => {
    await ffmpeg.stop();
    await server.stop();
  };
  try {
    await eventually(async () => {
      if (ffmpeg.exited()) throw new GiveUp(`ffmpeg exited:\n${await ffmpeg.logs()}`);
      const state = await pathState(ports.api, path, host);
      if (!state?.ready) throw new Error('camera stream not ready');
    }, 30_000, 200);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    host,
    port: ports.rtsp,
    path,
    username,
    password,
    url: `rtsp://${username}:${password}@${host}:${ports.rtsp}/${path}`,
    apiPort: ports.api,
    readers: async () => (await pathState(ports.api, path, host))?.readers ?? 0,
    stop,
  };
}
