// One MediaMTX config per media node: deterministic YAML, validated as MediaMTX validates it (`seal.ts` seals it).
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import type { MediaNode, Nvr } from '../../crds/index.js';
import { nvrEndpoint } from './endpoint.js';
import type { PublishedCamera } from './fleet.js';
import { MEDIAMTX_PORTS } from './media-host.js';
import { MEDIAMTX_TLS_FILES, mediaNodeTls, type CertificateIssuer } from './media-tls.js';
import { VIEWER_TOKEN_ISSUER, viewerTokenAudience } from './viewer-token.js';

export interface RenderOptions {
  /** Where MediaMTX fetches the API's viewer-token signing keys: https, so no one on the path can add a key. */
  jwksUrl: string;
  /** SHA-256 (hex) of the certificate the API serves the JWKS with; MediaMTX then trusts that certificate alone. */
  jwksFingerprint?: string;
  /**
   * MediaMTX's control API, on a Unix socket in a volume only the node's session expiry mounts: it needs no token
   * there, so it must never be a TCP address (the pod uses the host's network).
   */
  apiAddress: string;
  /** Browser origins allowed to play HLS and WHEP. */
  allowOrigins: string[];
  /**
   * Prometheus endpoint of MediaMTX as written in the file; the workload overrides it with MTX_METRICSADDRESS on the
   * machine's private address, which the operator cannot know when it renders.
   */
  metricsAddress: string;
  /** Issuer of the nodes' certificates when a MediaNode names none; without either, WHEP and HLS are plain HTTP. */
  certificateIssuer?: CertificateIssuer;
  hlsAddress: string;
  webrtcAddress: string;
  webrtcLocalUDPAddress: string;
}

/** The folder of MediaMTX's control API socket, shared with the session expiry container. */
export const MEDIAMTX_API_DIR = '/var/run/posbon-mediamtx';

export const DEFAULT_RENDER_OPTIONS: RenderOptions = {
  jwksUrl: 'https://posbon-api.posbon-system.svc:8443/.well-known/jwks.json',
  apiAddress: `unix://${MEDIAMTX_API_DIR}/api.sock`,
  allowOrigins: ['*'],
  metricsAddress: '127.0.0.1:9998',
  hlsAddress: `:${MEDIAMTX_PORTS.hls}`,
  webrtcAddress: `:${MEDIAMTX_PORTS.webrtc}`,
  webrtcLocalUDPAddress: `:${MEDIAMTX_PORTS.webrtcUdp}`,
};

export interface NvrCredentials {
  username: string;
  password: string;
}

export interface ShardMember {
  nvr: Nvr;
  cameras: PublishedCamera[];
}

export type MediaMtxConfig = Record<string, unknown> & { paths: Record<string, Record<string, unknown>> };

/** Credentials used in place of real ones in a config meant for review. */
export const REDACTED: NvrCredentials = { username: 'REDACTED', password: 'REDACTED' };

/** `rtsp://user:password@host:port`, once per NVR; each camera's source is this and its path. */
function sourceOrigin(nvr: Nvr, credentials: NvrCredentials): string {
  const endpoint = nvrEndpoint(nvr);
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  const user = `${encodeURIComponent(credentials.username)}:${encodeURIComponent(credentials.password)}@`;
  return `rtsp://${user}${host}:${endpoint.rtspPort}`;
}

/** The global section: the same for every render of a node, since changing it drops every session. */
function globalSection(node: MediaNode, options: RenderOptions): Record<string, unknown> {
  // MediaMTX rereads the key pair when the mounted Secret changes, so a renewal never touches this section.
  const tls = mediaNodeTls(node, options.certificateIssuer) !== undefined;
  return {
    logLevel: 'info',
    logDestinations: ['stdout'],
    readTimeout: '10s',
    writeTimeout: '10s',
    authMethod: 'jwt',
    authJWTJWKS: options.jwksUrl,
    ...(options.jwksFingerprint ? { authJWTJWKSFingerprint: options.jwksFingerprint.toLowerCase() } : {}),
    authJWTClaimKey: 'mediamtx_permissions',
    authJWTIssuer: VIEWER_TOKEN_ISSUER,
    authJWTAudience: viewerTokenAudience(node.metadata.name),
    // Prometheus scrapes without a viewer token (the address is not reachable from outside); the control API is a
    // socket only the session expiry mounts.
    authJWTExclude: [{ action: 'metrics' }, { action: 'api' }],
    api: true,
    apiAddress: options.apiAddress,
    metrics: true,
    metricsAddress: options.metricsAddress,
    pprof: false,
    playback: false,
    rtsp: false,
    rtmp: false,
    srt: false,
    moq: false,
    hls: true,
    hlsAddress: options.hlsAddress,
    ...(tls ? { hlsEncryption: true, hlsServerKey: MEDIAMTX_TLS_FILES.key, hlsServerCert: MEDIAMTX_TLS_FILES.cert } : {}),
    // Copies: a shared array would be written as a YAML anchor and alias.
    hlsAllowOrigins: [...options.allowOrigins],
    hlsVariant: 'lowLatency',
    hlsMuxerCloseAfter: '60s',
    webrtc: true,
    webrtcAddress: options.webrtcAddress,
    ...(tls ? { webrtcEncryption: true, webrtcServerKey: MEDIAMTX_TLS_FILES.key, webrtcServerCert: MEDIAMTX_TLS_FILES.cert } : {}),
    webrtcAllowOrigins: [...options.allowOrigins],
    webrtcLocalUDPAddress: options.webrtcLocalUDPAddress,
    webrtcIPsFromInterfaces: true,
    webrtcAdditionalHosts: [...node.spec.egressIPs].sort(),
    pathDefaults: {
      sourceOnDemandStartTimeout: '10s',
      sourceOnDemandCloseAfter: '10s',
      rtspTransport: 'tcp',
    },
  };
}

export interface RenderResult {
  config: MediaMtxConfig;
  yaml: string;
  cameraCount: number;
  /** NVRs left out because their credentials could not be resolved. */
  missingCredentials: string[];
}

/** Every pulled path of a shard: its source by path name, and the names in the order the file lists them. */
interface ShardPaths {
  names: string[];
  sources: Map<string, string>;
  /** Paths whose source YAML writes as it is and whose URL is valid, judged once per NVR origin (`plainOrigin`). */
  plain: Set<string>;
  cameraCount: number;
  missingCredentials: string[];
}

/** What may follow a plain scalar's first character (`PLAIN` without its first class). */
const PLAIN_TAIL = /^[A-Za-z0-9_./:%@?&=+~-]*$/;

/**
 * Whether every source `origin + rtspPath` with a plain `rtspPath` (starting with `/`, `?` or `#`, not ending with `:`)
 * is a plain YAML scalar that `checkSource` accepts: the origin must be plain, a whole rtsp authority, and parse
 * with both a user and a password or neither. What follows the authority cannot change any of that (`parseSource`).
 */
function plainOrigin(origin: string): boolean {
  if (!PLAIN.test(origin) || RTSP_AUTHORITY.exec(origin)?.[0] !== origin) return false;
  const url = tryUrl(`${origin}/`);
  return url !== undefined && (url.protocol === 'rtsp:' || url.protocol === 'rtsps:') && (url.username === '') === (url.password === '');
}

const plainPath = (rtspPath: string): boolean => AUTHORITY_END.has(rtspPath.charCodeAt(0)) && !rtspPath.endsWith(':') && PLAIN_TAIL.test(rtspPath);

function collectPaths(members: ShardMember[], credentials: (nvr: Nvr) => NvrCredentials | undefined): ShardPaths {
  // A camera's path is its own, so a Map keeps the one entry a repeated path would overwrite, as an object would.
  const sources = new Map<string, string>();
  const plain = new Set<string>();
  const missingCredentials: string[] = [];
  let cameraCount = 0;
  for (const { nvr, cameras } of members) {
    if (cameras.length === 0) continue;
    const creds = credentials(nvr);
    if (!creds) {
      missingCredentials.push(`${nvr.metadata.namespace ?? ''}/${nvr.metadata.name}`);
      continue;
    }
    const origin = sourceOrigin(nvr, creds);
    const originPlain = plainOrigin(origin);
    const add = (path: string, rtspPath: string) => {
      sources.set(path, origin + rtspPath);
      if (originPlain && plainPath(rtspPath)) plain.add(path);
      else plain.delete(path);
    };
    for (const camera of cameras) {
      cameraCount++;
      add(camera.path, camera.rtspPath);
      if (camera.webrtcFallback) add(camera.webrtcFallback.path, camera.webrtcFallback.rtspPath);
    }
  }
  return { names: [...sources.keys()].sort(), sources, plain, cameraCount, missingCredentials: missingCredentials.sort() };
}

const pulledPath = (source: string): Record<string, unknown> => ({ source, sourceOnDemand: true });

/**
 * Renders a node's config from its members. `credentials` resolves an NVR's Secret; pass one returning
 * REDACTED for a config meant for people to read.
 */
export function renderMediaMtxConfig(
  node: MediaNode,
  members: ShardMember[],
  credentials: (nvr: Nvr) => NvrCredentials | undefined,
  options: RenderOptions = DEFAULT_RENDER_OPTIONS,
): RenderResult {
  const { names, sources, plain, cameraCount, missingCredentials } = collectPaths(members, credentials);
  const globals = globalSection(node, options);
  const paths: MediaMtxConfig['paths'] = {};
  for (const name of names) paths[name] = pulledPath(sources.get(name)!);
  return { config: { ...globals, paths }, yaml: toYaml(globals, pathLines(names, sources, plain)), cameraCount, missingCredentials };
}

/**
 * The operator's render: the same text as `renderMediaMtxConfig` and the problems `validateMediaMtxConfig` would find,
 * without an object of thousands of path keys that only a reader of the config needs. The paths are each NVR's part
 * (`nvrPaths`) in order, rendered once per NVR object and credentials.
 */
export function renderShardConfig(
  node: MediaNode,
  members: ShardMember[],
  credentials: (nvr: Nvr) => NvrCredentials | undefined,
  options: RenderOptions,
): { yaml: string; cameraCount: number; problems: string[] } {
  const globals = globalSection(node, options);
  const parts = shardParts(members, credentials);
  if (!parts) {
    const { names, sources, plain, cameraCount } = collectPaths(members, credentials);
    return { yaml: toYaml(globals, pathLines(names, sources, plain)), cameraCount, problems: [...validateGlobals(globals), ...validatePulledPaths(names, sources, plain)] };
  }
  const problems = validateGlobals(globals);
  let cameraCount = 0;
  for (const part of parts) {
    cameraCount += part.cameras.length;
    if (part.problems.length > 0) problems.push(...part.problems);
  }
  return { yaml: toYaml(globals, parts.map((part) => part.yaml).join('')), cameraCount, problems };
}

/**
 * One NVR's paths as a shard's config writes them, with the problems the validator finds in them. Every path of an
 * NVR begins with `<school>/<nvr>/`, so in a shard whose NVRs have distinct prefixes, no two NVRs' paths interleave
 * in name order: the shard's text is its NVRs' parts in the order of their prefixes.
 */
interface NvrPaths {
  cameras: readonly PublishedCamera[];
  credentials: NvrCredentials;
  /** The prefix every path begins with, or undefined if one does not (cameras built by hand). */
  prefix: string | undefined;
  yaml: string;
  problems: string[];
}

/** Objects from an informer are replaced, never mutated: a part is good for as long as its NVR object lives. */
const renderedParts = new WeakMap<Nvr, NvrPaths>();

/**
 * An NVR's part, rendered now if its object, cameras or credentials are new. The operator renders each NVR as its
 * page of the list arrives, so that a cold start's shards are joined from parts rather than rendered after the list.
 */
export function nvrPaths(nvr: Nvr, cameras: readonly PublishedCamera[], credentials: NvrCredentials): NvrPaths {
  const kept = renderedParts.get(nvr);
  if (kept && kept.cameras === cameras && kept.credentials.username === credentials.username && kept.credentials.password === credentials.password) return kept;
  const { names, sources, plain } = collectPaths([{ nvr, cameras: cameras as PublishedCamera[] }], () => credentials);
  const prefix = `${nvr.spec.schoolRef}/${nvr.metadata.name}/`;
  const part: NvrPaths = {
    cameras,
    credentials,
    prefix: names.every((name) => name.startsWith(prefix)) ? prefix : undefined,
    yaml: pathLines(names, sources, plain),
    problems: validatePulledPaths(names, sources, plain),
  };
  renderedParts.set(nvr, part);
  return part;
}

/** The parts of a shard's NVRs with credentials and cameras, in the order of their prefixes; undefined when two could interleave. */
function shardParts(members: ShardMember[], credentials: (nvr: Nvr) => NvrCredentials | undefined): (NvrPaths & { prefix: string })[] | undefined {
  const parts: (NvrPaths & { prefix: string })[] = [];
  for (const { nvr, cameras } of members) {
    if (cameras.length === 0) continue;
    const creds = credentials(nvr);
    if (!creds) continue;
    const part = nvrPaths(nvr, cameras, creds);
    if (part.prefix === undefined) return undefined;
    parts.push(part as NvrPaths & { prefix: string });
  }
  parts.sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0));
  // A prefix that begins another (the same NVR twice, or one name in two namespaces) lets their paths interleave.
  for (let i = 1; i < parts.length; i++) if (parts[i]!.prefix.startsWith(parts[i - 1]!.prefix)) return undefined;
  return parts;
}

/** What `validatePaths` finds in paths of `pulledPath`, without building them: their keys are known, none a duration. */
function validatePulledPaths(names: string[], sources: ReadonlyMap<string, string>, plain: ReadonlySet<string>): string[] {
  const errors: string[] = [];
  const origins: SourceOrigins = { parsed: new Map() };
  for (const name of names) {
    checkPathName(name, errors);
    if (!plain.has(name)) checkSource(name, sources.get(name)!, true, origins, errors);
  }
  return errors;
}

const PLAIN = /^[A-Za-z][A-Za-z0-9_./:%@?&=+~-]*$/;
const KEYWORDS = /^(true|false|null|yes|no|on|off|y|n|~)$/i;

/** A scalar as the yaml library writes it, without asking it when the text is plainly safe. */
export const yamlScalar = (text: string): string =>
  PLAIN.test(text) && !KEYWORDS.test(text) && !text.endsWith(':') ? text : stringify(text, { lineWidth: 0 }).slice(0, -1);

/**
 * The same text `stringify(config)` gives, but writes the thousands of path entries directly (`pathLines`): a
 * 3,000-camera shard renders several times faster, which is most of the work after an edit.
 */
function toYaml(globals: Record<string, unknown>, paths: string): string {
  const head = `${stringify(globals, { lineWidth: 0 })}paths:`;
  return paths === '' ? `${head} {}\n` : `${head}\n${paths}`;
}

/** The entries of `paths:`, in the order of `names`. */
function pathLines(names: string[], sources: ReadonlyMap<string, string>, plain: ReadonlySet<string>): string {
  const lines: string[] = [];
  for (const name of names) {
    const source = sources.get(name)!;
    lines.push(`  ${yamlScalar(name)}:\n    source: ${plain.has(name) ? source : yamlScalar(source)}\n    sourceOnDemand: true\n`);
  }
  // One flat string: a part is kept, and a tree of pieces would cost more than its text.
  return lines.join('');
}

const GLOBAL_KEYS = new Set(
  ('logLevel logDestinations logStructured logFile sysLogPrefix dumpPackets readTimeout writeTimeout writeQueueSize udpMaxPayloadSize ' +
    'udpReadBufferSize runOnConnect runOnConnectRestart runOnDisconnect authMethod authInternalUsers authHTTPAddress authHTTPFingerprint ' +
    'authHTTPExclude authJWTJWKS authJWTJWKSFingerprint authJWTClaimKey authJWTExclude authJWTIssuer authJWTAudience api apiAddress ' +
    'apiEncryption apiServerKey apiServerCert apiAllowOrigins apiTrustedProxies metrics metricsAddress metricsEncryption metricsServerKey ' +
    'metricsServerCert metricsAllowOrigins metricsTrustedProxies pprof pprofAddress pprofEncryption pprofServerKey pprofServerCert ' +
    'pprofAllowOrigins pprofTrustedProxies playback playbackAddress playbackEncryption playbackServerKey playbackServerCert ' +
    'playbackAllowOrigins playbackTrustedProxies rtsp rtspTransports rtspEncryption rtspAddress rtspsAddress rtpAddress rtcpAddress ' +
    'multicastIPRange multicastRTPPort multicastRTCPPort srtpAddress srtcpAddress multicastSRTPPort multicastSRTCPPort rtspServerKey ' +
    'rtspServerCert rtspAuthMethods rtspTrustedProxies rtmp rtmpEncryption rtmpAddress rtmpsAddress rtmpServerKey rtmpServerCert ' +
    'rtmpTrustedProxies hls hlsAddress hlsEncryption hlsServerKey hlsServerCert hlsAllowOrigins hlsTrustedProxies hlsAlwaysRemux ' +
    'hlsVariant hlsSegmentCount hlsSegmentDuration hlsPartDuration hlsSegmentMaxSize hlsDirectory hlsMuxerCloseAfter hlsCDNSecret webrtc ' +
    'webrtcAddress webrtcEncryption webrtcServerKey webrtcServerCert webrtcAllowOrigins webrtcTrustedProxies webrtcLocalUDPAddress ' +
    'webrtcLocalTCPAddress webrtcIPsFromInterfaces webrtcIPsFromInterfacesList webrtcAdditionalHosts webrtcICEServers2 ' +
    'webrtcSTUNGatherTimeout webrtcHandshakeTimeout webrtcTrackGatherTimeout srt srtAddress moq moqHTTP2Address moqHTTP3Address ' +
    'moqQUICAddress moqServerKey moqServerCert moqAllowOrigins moqTrustedProxies pathDefaults paths').split(' '),
);

/** The path keys Posbon writes; MediaMTX knows more, Posbon never needs them. */
const PATH_KEYS = new Set(['source', 'sourceOnDemand', 'sourceOnDemandStartTimeout', 'sourceOnDemandCloseAfter', 'rtspTransport', 'maxReaders']);

const PATH_NAME = /^[0-9a-zA-Z_\-/.]+$/;
const DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;
const DURATION_KEYS = /(Timeout|CloseAfter|Duration)$/;

type ParsedSource = Pick<URL, 'protocol' | 'username' | 'password'>;

const RTSP_AUTHORITY = /^rtsps?:\/\/[^/?#]*/;

/**
 * A source URL's scheme and credentials, parsed once per NVR: rtsp is not a special scheme, so its authority ends at
 * the first `/`, `?` or `#`, and nothing after that can make the URL invalid or change these three parts.
 */
function parseSource(source: string, origins: SourceOrigins): ParsedSource | undefined {
  // Paths in name order list an NVR's cameras one after another: most sources share the last one's authority.
  const last = origins.last;
  if (last && source.startsWith(last.origin) && AUTHORITY_END.has(source.charCodeAt(last.origin.length))) return last.parsed;
  const origin = RTSP_AUTHORITY.exec(source)?.[0];
  if (origin === undefined || origin.length === source.length) return tryUrl(source);
  // With a path after it, as in the source: the parser would trim a trailing space off the authority alone.
  if (!origins.parsed.has(origin)) origins.parsed.set(origin, tryUrl(`${origin}/`));
  const parsed = origins.parsed.get(origin);
  origins.last = { origin, parsed };
  return parsed;
}

interface SourceOrigins {
  parsed: Map<string, ParsedSource | undefined>;
  last?: { origin: string; parsed: ParsedSource | undefined };
}

/** `/`, `?` and `#`: where an rtsp URL's authority ends. */
const AUTHORITY_END = new Set([0x2f, 0x3f, 0x23]);

function tryUrl(text: string): ParsedSource | undefined {
  try {
    const { protocol, username, password } = new URL(text);
    return { protocol, username, password };
  } catch {
    return undefined;
  }
}

/** Applies the rules MediaMTX applies when it loads a config, which would otherwise make the process exit. */
export function validateMediaMtxConfig(config: MediaMtxConfig): string[] {
  return [...validateGlobals(config), ...validatePaths(Object.entries(config.paths))];
}

function checkDurations(where: string, section: Record<string, unknown>, errors: string[]): void {
  for (const key of Object.keys(section)) {
    const value = section[key];
    if (DURATION_KEYS.test(key) && (typeof value !== 'string' || !DURATION.test(value))) errors.push(`${where}${key}: invalid duration ${String(value)}`);
  }
}

/** The rules of the global section and the path defaults. */
function validateGlobals(config: Record<string, unknown>): string[] {
  const errors: string[] = [];
  for (const key of Object.keys(config)) if (!GLOBAL_KEYS.has(key)) errors.push(`unknown global key ${key}`);
  if (config.api === true && !String(config.apiAddress).startsWith('unix://')) errors.push('apiAddress: the control API must be a unix:// socket');
  if (config.authJWTJWKSFingerprint !== undefined && !/^[0-9a-f]{64}$/.test(String(config.authJWTJWKSFingerprint))) {
    errors.push('authJWTJWKSFingerprint: expected the 64 hex digits of a SHA-256');
  }
  checkDurations('', config, errors);
  const defaults = (config.pathDefaults ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(defaults)) if (!PATH_KEYS.has(key)) errors.push(`pathDefaults: unknown key ${key}`);
  checkDurations('pathDefaults.', defaults, errors);
  return errors;
}

/** The rules of each path: its name, its keys and its source. */
function validatePaths(paths: Iterable<[string, Record<string, unknown>]>): string[] {
  const errors: string[] = [];
  const origins: SourceOrigins = { parsed: new Map() };
  for (const [name, path] of paths) {
    checkPathName(name, errors);
    for (const key of Object.keys(path)) if (!PATH_KEYS.has(key)) errors.push(`path ${name}: unknown key ${key}`);
    checkDurations(`path ${name}: `, path, errors);
    checkSource(name, typeof path.source === 'string' ? path.source : 'publisher', path.sourceOnDemand, origins, errors);
  }
  return errors;
}

function checkPathName(name: string, errors: string[]): void {
  if (!PATH_NAME.test(name) || name.startsWith('/') || name.endsWith('/') || name.includes('//')) errors.push(`path ${name}: invalid name`);
}

function checkSource(name: string, source: string, onDemand: unknown, origins: SourceOrigins, errors: string[]): void {
  if (source === 'publisher') {
    if (onDemand) errors.push(`path ${name}: sourceOnDemand on a publisher path`);
    return;
  }
  const url = parseSource(source, origins);
  if (!url) errors.push(`path ${name}: invalid source URL`);
  if (url && url.protocol !== 'rtsp:' && url.protocol !== 'rtsps:') errors.push(`path ${name}: source must be rtsp or rtsps`);
  if (url && (url.username === '') !== (url.password === '')) errors.push(`path ${name}: source needs both user and password or neither`);
  if (onDemand !== true) errors.push(`path ${name}: a pulled path must be sourceOnDemand`);
}

export const contentHash = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 32);
