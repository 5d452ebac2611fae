// The fleet as the pure core sees it, and the cameras each NVR publishes.
import type { Camera, FaceIdDevice, MediaNode, Nvr, School } from '../../crds/index.js';

export interface Fleet {
  nodes: MediaNode[];
  schools: School[];
  nvrs: Nvr[];
  /** FaceID terminals; the media plan ignores them, the API issues their push credentials. */
  faceIdDevices?: FaceIdDevice[];
}

export interface PublishedCamera {
  /** MediaMTX path: `<school>/<nvr>/<camera>`. */
  path: string;
  school: string;
  nvr: string;
  camera: string;
  name: string;
  /** Path and query on the NVR, without credentials. */
  rtspPath: string;
  codec?: string;
  /** An H.264 alternative for WebRTC when the chosen stream is H.265. */
  webrtcFallback?: { path: string; rtspPath: string };
}

const VENDOR_PATHS: Record<string, (channel: number, stream: 'main' | 'sub') => string> = {
  hikvision: (ch, s) => `/Streaming/Channels/${ch}0${s === 'main' ? 1 : 2}`,
  dahua: (ch, s) => `/cam/realmonitor?channel=${ch}&subtype=${s === 'main' ? 0 : 1}`,
  uniview: (ch, s) => `/unicast/c${ch}/s${s === 'main' ? 0 : 1}/live`,
};

/** Each vendor's stream paths, built once per channel and stream and shared by every camera that uses them. */
const vendorPaths = new Map<string, Map<number, string>>();

function vendorPath(vendor: string, channel: number, stream: 'main' | 'sub'): string | undefined {
  const build = VENDOR_PATHS[vendor];
  if (!build) return undefined;
  let paths = vendorPaths.get(vendor);
  if (!paths) vendorPaths.set(vendor, (paths = new Map()));
  const key = 2 * channel + (stream === 'main' ? 0 : 1);
  let path = paths.get(key);
  if (path === undefined) paths.set(key, (path = build(channel, stream)));
  return path;
}

const isH265 = (codec: string | undefined) => codec !== undefined && /^(h\.?265|hevc)$/i.test(codec);
const isH264 = (codec: string | undefined) => codec !== undefined && /^(h\.?264|avc)$/i.test(codec);

/**
 * The cameras an NVR publishes: the ONVIF-discovered ones (when onvifSync is on), refined by spec.cameras,
 * which may also add cameras of their own; disabled ones and ones without a known stream path are left out.
 */
export function publishedCameras(nvr: Nvr): PublishedCamera[] {
  const cached = published.get(nvr);
  if (cached) return cached;
  const cameras = computePublishedCameras(nvr);
  published.set(nvr, cameras);
  return cameras;
}

/** Objects from an informer are replaced, never mutated, so a result can be kept for as long as its object lives. */
const published = new WeakMap<Nvr, PublishedCamera[]>();

function computePublishedCameras(nvr: Nvr): PublishedCamera[] {
  const discovered = nvr.spec.onvifSync ? (nvr.status?.discoveredCameras ?? []) : [];
  const declared = new Map<string, Camera>(nvr.spec.cameras.map((c) => [c.id, c]));
  const ids = [...new Set([...discovered.map((d) => d.id), ...declared.keys()])].sort();
  const out: PublishedCamera[] = [];
  for (const id of ids) {
    const found = discovered.find((d) => d.id === id);
    const spec = declared.get(id);
    if (spec?.enabled === false) continue;
    const stream = spec?.stream ?? 'main';
    const discoveredPath = stream === 'main' ? found?.mainPath : (found?.subPath ?? found?.mainPath);
    const rtspPath = spec?.rtspPath ?? (spec?.channel !== undefined ? vendorPath(nvr.spec.vendor, spec.channel, stream) : undefined) ?? discoveredPath;
    if (!rtspPath) continue;
    const path = `${nvr.spec.schoolRef}/${nvr.metadata.name}/${id}`;
    const codec = stream === 'main' ? found?.codec : found?.subCodec;
    const camera: PublishedCamera = { path, school: nvr.spec.schoolRef, nvr: nvr.metadata.name, camera: id, name: spec?.name ?? found?.name ?? id, rtspPath };
    if (codec) camera.codec = codec;
    if (isH265(codec) && stream === 'main' && found?.subPath && isH264(found.subCodec)) {
      camera.webrtcFallback = { path: `${path}/h264`, rtspPath: found.subPath };
    }
    out.push(camera);
  }
  return out;
}
