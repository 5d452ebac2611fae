// The LAN scan: a TCP connect to each camera, NVR and terminal port of every host of the planned subnets (bounded
// concurrency, a total time limit), WS-Discovery beside it, then a fingerprint of each host that answered.
import { connect } from 'node:net';
import { discover, type DiscoveredDevice } from '../discovery.js';
import { httpFingerprint, onvifDeviceInformation, rtspOptions, type HttpFingerprint, type OnvifAnswer } from './fingerprint.js';
import { hostsOf, type Subnet } from './subnets.js';

/** HTTP, HTTPS, RTSP, Hikvision SDK, alternative HTTP, alternative RTSP, ONVIF on some cameras, ZKTeco, Dahua. */
export const SCAN_PORTS = [80, 443, 554, 8000, 8080, 8554, 8899, 4370, 37777] as const;
const RTSP_PORTS = new Set([554, 8554]);
const HTTP_PORTS = [80, 8080, 8899, 8000, 443];

export type Vendor = 'hikvision' | 'dahua' | 'zkteco' | 'onvif' | 'unknown';
export type DeviceKind = 'camera-or-nvr' | 'faceid' | 'unknown';

export interface ScannedDevice {
  ip: string;
  openPorts: number[];
  vendor: Vendor;
  kind: DeviceKind;
  manufacturer: string | null;
  model: string | null;
  serial: string | null;
  rtspPort: number | null;
  httpPort: number | null;
  onvifPort: number | null;
  /** What each guess rests on, one short line per clue. */
  evidence: string[];
}

export interface ScanProgress {
  phase: 'ports' | 'fingerprints';
  done: number;
  total: number;
}

export interface ScanOptions {
  subnets: Subnet[];
  ports?: readonly number[];
  /** Connections in flight at once. */
  concurrency?: number;
  connectTimeoutMs?: number;
  /** The whole scan stops starting new work after this; what was found so far is reported. */
  totalTimeMs?: number;
  /** Send WS-Discovery probes (multicast and to each answering host). */
  discovery?: boolean;
  onProgress?(progress: ScanProgress): void;
}

export interface ScanReport {
  subnets: string[];
  hostsScanned: number;
  /** False when the time limit cut the scan short. */
  complete: boolean;
  devices: ScannedDevice[];
}

type PortState = 'open' | 'closed';

function tcpOpen(host: string, port: number, timeoutMs: number): Promise<PortState> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (state: PortState) => {
      socket.destroy();
      resolve(state);
    };
    socket.setTimeout(timeoutMs, () => done('closed'));
    socket.once('connect', () => done('open'));
    socket.once('error', () => done('closed'));
  });
}

/** Runs `work` over `items` with at most `limit` at once, stopping to start new ones once `stopped()` says so. */
async function pool<T>(items: T[], limit: number, stopped: () => boolean, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !stopped()) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const VENDOR_NAMES: [RegExp, Vendor][] = [
  [/hikvision|hik-?connect|app-webs|dnvrs-webs/i, 'hikvision'],
  [/dahua|rtsp server\/3\.0/i, 'dahua'],
  [/zkteco|\bzk\b/i, 'zkteco'],
];

const vendorNamed = (text: string | null | undefined): Vendor | undefined => (text ? VENDOR_NAMES.find(([re]) => re.test(text))?.[1] : undefined);

interface Clues {
  ip: string;
  open: number[];
  rtsp?: { port: number; server: string | null };
  http?: { port: number; fingerprint: HttpFingerprint };
  onvif?: { port: number; answer: OnvifAnswer };
  discovered?: DiscoveredDevice;
}

/** The vendor, kind, model and serial the clues support, with the evidence; pure. */
export function classify(c: Clues): ScannedDevice {
  const evidence: string[] = [];
  const scope = (key: string) => c.discovered?.scopes[key]?.[0] ?? null;
  const open = new Set(c.open);
  let vendor: Vendor | undefined;
  let model: string | null = c.onvif?.answer.model ?? scope('hardware') ?? scope('name');
  let serial: string | null = c.onvif?.answer.serial ?? null;
  const manufacturer = c.onvif?.answer.manufacturer ?? null;

  if (c.http?.fingerprint.dahua) {
    vendor = 'dahua';
    evidence.push(`dahua: /RPC2_Login answered a login challenge on port ${c.http.port}`);
    serial ??= c.http.fingerprint.dahua.serial ?? null;
  }
  if (open.has(37777)) {
    vendor ??= 'dahua';
    evidence.push('dahua: port 37777 (Dahua private protocol) open');
  }
  if (c.http?.fingerprint.isapi) {
    vendor ??= 'hikvision';
    evidence.push(`hikvision: /ISAPI answered with Digest on port ${c.http.port}${c.http.fingerprint.realm ? ` (realm ${c.http.fingerprint.realm})` : ''}`);
    // Hikvision's realm is often the model (DS-…); a generic realm says nothing.
    if (c.http.fingerprint.realm && /^i?DS-/.test(c.http.fingerprint.realm)) model ??= c.http.fingerprint.realm;
  }
  if (c.http?.fingerprint.zkteco) {
    vendor ??= 'zkteco';
    evidence.push(`zkteco: web server ${JSON.stringify(c.http.fingerprint.server ?? 'ZK')} on port ${c.http.port}`);
  }
  if (open.has(4370)) {
    vendor ??= 'zkteco';
    evidence.push('zkteco: port 4370 (ZKTeco SDK) open');
  }
  if (c.onvif) {
    evidence.push(`onvif: device service on port ${c.onvif.port}${c.onvif.answer.needsCredentials ? ' (asks for credentials)' : ''}`);
    const named = vendorNamed(manufacturer) ?? vendorNamed(scope('name')) ?? vendorNamed(scope('hardware'));
    vendor ??= named ?? 'onvif';
  }
  if (c.discovered) evidence.push(`ws-discovery: ${c.discovered.endpoint}`);
  if (c.rtsp) {
    evidence.push(`rtsp: OPTIONS answered on port ${c.rtsp.port}${c.rtsp.server ? ` (Server ${c.rtsp.server})` : ''}`);
    vendor ??= vendorNamed(c.rtsp.server);
  }
  if (c.http && !vendor) {
    vendor = vendorNamed(c.http.fingerprint.server);
    evidence.push(`http: port ${c.http.port}${c.http.fingerprint.server ? ` (Server ${c.http.fingerprint.server})` : ''}`);
  }
  vendor ??= 'unknown';
  const faceid = vendor === 'zkteco' || /^DS-K|^ASI/i.test(model ?? '');
  const kind: DeviceKind = faceid ? 'faceid' : c.rtsp || c.onvif || c.discovered ? 'camera-or-nvr' : 'unknown';
  const onvifPort = c.onvif?.port ?? (c.discovered ? c.discovered.onvifPort : null);
  return {
    ip: c.ip,
    openPorts: [...c.open].sort((a, b) => a - b),
    vendor,
    kind,
    manufacturer,
    model,
    serial,
    rtspPort: c.rtsp?.port ?? null,
    httpPort: c.http?.port ?? null,
    onvifPort,
    evidence,
  };
}

async function fingerprintHost(ip: string, open: number[], discovered: DiscoveredDevice | undefined, timeoutMs: number): Promise<ScannedDevice> {
  const clues: Clues = { ip, open, ...(discovered ? { discovered } : {}) };
  for (const port of open.filter((p) => RTSP_PORTS.has(p))) {
    const answer = await rtspOptions(ip, port, timeoutMs);
    if (answer) {
      clues.rtsp = { port, server: answer.server };
      break;
    }
  }
  for (const port of HTTP_PORTS.filter((p) => open.includes(p))) {
    const fingerprint = await httpFingerprint(ip, port, port === 443, timeoutMs);
    if (!fingerprint) continue;
    clues.http ??= { port, fingerprint };
    if (port !== 443 && !clues.onvif) {
      const answer = await onvifDeviceInformation(ip, port, timeoutMs);
      if (answer) clues.onvif = { port, answer };
    }
  }
  return classify(clues);
}

export async function scanLan(options: ScanOptions): Promise<ScanReport> {
  const ports = options.ports ?? SCAN_PORTS;
  const started = Date.now();
  const totalTimeMs = options.totalTimeMs ?? 120_000;
  const connectTimeoutMs = options.connectTimeoutMs ?? 1500;
  const overdue = () => Date.now() - started > totalTimeMs;
  const selves = new Set(options.subnets.map((s) => s.self));
  const hosts = [...new Set(options.subnets.flatMap((s) => hostsOf(s)))].filter((h) => !selves.has(h));
  const probes = hosts.flatMap((host) => ports.map((port) => ({ host, port })));
  const open = new Map<string, number[]>();
  let done = 0;
  // WS-Discovery's multicast runs beside the port scan; hosts that answered get a directed probe afterwards.
  const multicast = options.discovery === false ? Promise.resolve([]) : discover({ multicast: true, targets: [], timeoutMs: 2000 }).catch(() => []);
  await pool(probes, options.concurrency ?? 256, overdue, async ({ host, port }) => {
    if ((await tcpOpen(host, port, connectTimeoutMs)) === 'open') open.set(host, [...(open.get(host) ?? []), port]);
    done++;
    if (done % 64 === 0 || done === probes.length) options.onProgress?.({ phase: 'ports', done, total: probes.length });
  });
  const complete = done === probes.length;
  const directed =
    options.discovery === false || open.size === 0 ? [] : await discover({ multicast: false, targets: [...open.keys()], timeoutMs: 1500 }).catch(() => [] as DiscoveredDevice[]);
  const discoveredBy = new Map<string, DiscoveredDevice>();
  for (const d of [...(await multicast), ...directed]) {
    const inScope = hosts.includes(d.answeredFrom);
    if (!inScope) continue;
    discoveredBy.set(d.answeredFrom, d);
    if (!open.has(d.answeredFrom)) open.set(d.answeredFrom, []);
  }
  const answering = [...open.keys()].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const devices: ScannedDevice[] = [];
  let fingerprinted = 0;
  await pool(answering, 16, () => false, async (ip) => {
    devices.push(await fingerprintHost(ip, open.get(ip)!, discoveredBy.get(ip), Math.max(connectTimeoutMs, 2000)));
    options.onProgress?.({ phase: 'fingerprints', done: ++fingerprinted, total: answering.length });
  });
  devices.sort((a, b) => a.ip.localeCompare(b.ip, 'en', { numeric: true }));
  return { subnets: options.subnets.map((s) => s.cidr), hostsScanned: hosts.length, complete, devices };
}
