// ONVIF device information, media profiles and stream URIs, through the `onvif` package pinned to one checked address.
import { Agent, type ClientRequestArgs } from 'node:http';
import type { Duplex } from 'node:stream';
import { Cam, type CamProfile } from 'onvif';
import { reasonOfSocketError, type Dial } from './net.js';
import type { Credentials } from './digest.js';
import { ProbeFailure, type OnvifCamera, type OnvifDevice, type OnvifStream } from './result.js';

/** An HTTP agent that can only ever reach one address and port, whatever a device's service URLs say. */
export class PinnedAgent extends Agent {
  constructor(
    private readonly address: string,
    private readonly port: number,
    private readonly dial: Dial,
  ) {
    super({ keepAlive: false, maxSockets: 1 });
  }

  override createConnection(options: ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const host = options.host ?? options.hostname;
    if (host !== this.address || Number(options.port) !== this.port) {
      callback?.(new ProbeFailure('NotAllowlisted', `the device pointed at ${host}:${options.port}, not its declared address`), undefined as unknown as Duplex);
      return undefined;
    }
    return this.dial(this.address, this.port);
  }
}

export interface RawStreamUri {
  profileToken: string;
  uri: string;
}

/** Path and query of a stream URI without host or userinfo; the media node pulls it from the NVR's public host. */
export function streamPathOf(uri: string): { path: string; port?: number } | undefined {
  try {
    const url = new URL(uri);
    if (url.protocol !== 'rtsp:' && url.protocol !== 'rtsps:') return undefined;
    return { path: `${url.pathname}${url.search}`, ...(url.port ? { port: Number(url.port) } : {}) };
  } catch {
    return undefined;
  }
}

const text = (value: unknown): string | undefined => (typeof value === 'string' || typeof value === 'number' ? String(value) : undefined);
const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

function streamOf(profile: CamProfile, uris: RawStreamUri[]): OnvifStream & { pixels: number } {
  const token = text(profile.$?.token) ?? text(profile.token) ?? '';
  const encoder = profile.videoEncoderConfiguration as { encoding?: unknown; resolution?: { width?: unknown; height?: unknown } } | undefined;
  const width = num(encoder?.resolution?.width);
  const height = num(encoder?.resolution?.height);
  const where = streamPathOf(uris.find((u) => u.profileToken === token)?.uri ?? '');
  const encoding = text(encoder?.encoding)?.toUpperCase();
  return {
    profileToken: token,
    ...(text(profile.name) ? { profileName: text(profile.name)! } : {}),
    ...(where ? { path: where.path, ...(where.port ? { rtspPort: where.port } : {}) } : {}),
    ...(encoding ? { codec: encoding === 'HEVC' ? 'H265' : encoding } : {}),
    ...(width !== undefined ? { width } : {}),
    ...(height !== undefined ? { height } : {}),
    pixels: (width ?? 0) * (height ?? 0),
  };
}

/**
 * One camera per video source; its largest profile is the main stream and the next largest the sub-stream.
 * Profiles without a video encoder (audio or metadata only) are not streams.
 */
export function camerasOf(profiles: CamProfile[], uris: RawStreamUri[]): OnvifCamera[] {
  const bySource = new Map<string, { name: string; streams: ReturnType<typeof streamOf>[] }>();
  for (const profile of profiles) {
    if (!profile.videoEncoderConfiguration || !profile.videoSourceConfiguration) continue;
    const source = profile.videoSourceConfiguration as { sourceToken?: unknown; name?: unknown };
    const id = text(source.sourceToken) ?? 'unknown';
    const entry = bySource.get(id) ?? { name: text(source.name) ?? id, streams: [] };
    entry.streams.push(streamOf(profile, uris));
    bySource.set(id, entry);
  }
  return [...bySource.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([id, { name, streams }]) => {
      const [main, sub] = streams.sort((a, b) => b.pixels - a.pixels || a.profileToken.localeCompare(b.profileToken)).map(({ pixels: _, ...s }) => s);
      return { id, name, main: main!, ...(sub ? { sub } : {}) };
    });
}

function deviceOf(info: Record<string, unknown> | undefined): OnvifDevice {
  const device: OnvifDevice = {};
  for (const key of ['manufacturer', 'model', 'firmwareVersion', 'serialNumber', 'hardwareId'] as const) {
    const value = text(info?.[key]);
    if (value !== undefined) device[key] = value;
  }
  return device;
}

type Callback<T> = (err: Error | null, value?: T) => void;
const call = <T>(start: (cb: Callback<T>) => void): Promise<T | undefined> =>
  new Promise((resolve, reject) => start((err, value) => (err ? reject(err) : resolve(value))));

export interface OnvifQuery {
  address: string;
  port: number;
  credentials: Credentials | undefined;
  timeoutMs: number;
  dial: Dial;
}

export interface OnvifAnswer {
  device: OnvifDevice;
  cameras: OnvifCamera[];
}

function failureOf(error: unknown, step: string, lastStatus: number | undefined, lastBody: string): ProbeFailure {
  if (error instanceof ProbeFailure) return error;
  const err = error as NodeJS.ErrnoException;
  if (err.code && /^E[A-Z]+$/.test(err.code)) return reasonOfSocketError(err);
  const said = `${err.message} ${lastBody}`;
  if (lastStatus === 401 || /not ?authori[sz]ed|unauthori[sz]ed|authentication failed/i.test(said)) {
    return new ProbeFailure('AuthFailed', 'the device rejected the username or password');
  }
  if (/network timeout/i.test(err.message)) return new ProbeFailure('Timeout', 'the device stopped answering');
  return new ProbeFailure('ProtocolError', `the device's answer to ${step} was not understood`);
}

/** Asks the device at a checked address for its information, profiles and stream URIs. */
export async function queryOnvif(query: OnvifQuery): Promise<OnvifAnswer> {
  // A socket the capped dial stops reports here: the library may lose the error once a response has begun.
  let overflowed: (failure: ProbeFailure) => void = () => undefined;
  const overflow = new Promise<never>((_, reject) => {
    overflowed = reject;
  });
  const dial: Dial = (address, port) => {
    const socket = query.dial(address, port);
    socket.on('error', (error) => {
      if (error instanceof ProbeFailure && error.reason === 'TooLarge') overflowed(error);
    });
    return socket;
  };
  const agent = new PinnedAgent(query.address, query.port, dial);
  const cam = new Cam({
    hostname: query.address,
    port: query.port,
    ...(query.credentials ? { username: query.credentials.username, password: query.credentials.password } : {}),
    timeout: query.timeoutMs,
    autoconnect: false,
    preserveAddress: true,
    agent,
  });
  let lastStatus: number | undefined;
  let lastBody = '';
  cam.on('rawResponse', (xml: string, status: number) => {
    lastStatus = status;
    lastBody = xml.slice(0, 4000);
  });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProbeFailure('Timeout', `no complete ONVIF answer within ${query.timeoutMs} ms`)), query.timeoutMs);
  });
  let step = 'GetSystemDateAndTime';
  // Steps of Cam#connect, called one by one so that an odd device cannot throw from inside the library's callbacks.
  const work = (async () => {
    await call<Date>((cb) => cam.getSystemDateAndTime(cb));
    step = 'GetServices';
    await call<unknown>((cb) => cam.getServices(true, cb)).catch(() => {
      step = 'GetCapabilities';
      return call<unknown>((cb) => cam.getCapabilities(cb));
    });
    step = 'GetDeviceInformation';
    const info = await call<Record<string, unknown>>((cb) => cam.getDeviceInformation(cb as Callback<unknown>));
    if (!cam.uri?.media && !cam.uri?.media2) return { device: deviceOf(info), cameras: [] };
    step = 'GetProfiles';
    const profiles = (await call<CamProfile[]>((cb) => cam.getProfiles(cb))) ?? [];
    const uris: RawStreamUri[] = [];
    step = 'GetStreamUri';
    for (const profile of profiles) {
      const token = text(profile.$?.token);
      if (!token || !profile.videoEncoderConfiguration) continue;
      const answer = await call<{ uri?: unknown }>((cb) => cam.getStreamUri({ protocol: 'RTSP', profileToken: token }, cb as Callback<unknown>));
      const uri = text(answer?.uri);
      if (uri) uris.push({ profileToken: token, uri });
    }
    return { device: deviceOf(info), cameras: camerasOf(profiles, uris) };
  })();
  try {
    return await Promise.race([work, deadline, overflow]);
  } catch (error) {
    throw failureOf(error, step, lastStatus, lastBody);
  } finally {
    clearTimeout(timer);
    work.catch(() => undefined);
    overflow.catch(() => undefined);
    agent.destroy();
  }
}
