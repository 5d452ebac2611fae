// What the operator needs from the probe, as pure functions: the node's allowlist, and ONVIF cameras in status shape.
import type { Allowlist } from './allowlist.js';
import type { OnvifCamera } from './result.js';

export interface ProbedNvr {
  namespace: string;
  name: string;
  publicHost: string;
  publicRtspPort: number;
  publicOnvifPort?: number;
  publicHttpPort?: number;
  credentialsSecret?: string;
  /** The NVR is reached through its school's tunnel at `publicHost`, its LAN address. */
  tunnel?: boolean;
}

/**
 * The allowlist file for one media node: its NVRs' public host and ports, and the egress addresses of every media
 * node (which no probe may reach), sorted, so the render is deterministic.
 */
export function renderProbeAllowlist(node: string, nvrs: ProbedNvr[], fleetAddresses: readonly string[] = []): string {
  const targets = nvrs
    .map((n) => ({
      nvr: `${n.namespace}/${n.name}`,
      host: n.publicHost,
      ports: [...new Set([n.publicRtspPort, n.publicOnvifPort, n.publicHttpPort].filter((p): p is number => p !== undefined))].sort((a, b) => a - b),
      rtspPort: n.publicRtspPort,
      ...(n.publicOnvifPort !== undefined ? { onvifPort: n.publicOnvifPort } : {}),
      ...(n.tunnel ? { tunnel: true as const } : {}),
      ...(n.credentialsSecret ? { credentialsSecret: n.credentialsSecret } : {}),
    }))
    .sort((a, b) => (a.nvr < b.nvr ? -1 : a.nvr > b.nvr ? 1 : 0));
  const fleet = [...new Set(fleetAddresses)].sort();
  const allowlist: Allowlist = { node, targets, ...(fleet.length > 0 ? { fleetAddresses: fleet } : {}) };
  return `${JSON.stringify(allowlist, null, 2)}\n`;
}

/** The shape of `Nvr.status.discoveredCameras[]`. */
export interface DiscoveredCamera {
  id: string;
  name?: string;
  mainPath?: string;
  subPath?: string;
  codec?: string;
  subCodec?: string;
  width?: number;
  height?: number;
}

function labelOf(token: string): string {
  const label = token
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 55)
    .replace(/-+$/, '');
  return label || 'camera';
}

/** ONVIF cameras as status entries; ids are DNS labels made from the video source token, unique within the NVR. */
export function discoveredCamerasOf(cameras: OnvifCamera[]): DiscoveredCamera[] {
  const used = new Set<string>();
  return cameras.map((camera) => {
    const base = labelOf(camera.id);
    let id = base;
    for (let i = 2; used.has(id); i++) id = `${base}-${i}`;
    used.add(id);
    const { main, sub } = camera;
    return {
      id,
      name: camera.name.slice(0, 200),
      ...(main.path ? { mainPath: main.path } : {}),
      ...(sub?.path ? { subPath: sub.path } : {}),
      ...(main.codec ? { codec: main.codec } : {}),
      ...(sub?.codec ? { subCodec: sub.codec } : {}),
      ...(main.width !== undefined ? { width: main.width } : {}),
      ...(main.height !== undefined ? { height: main.height } : {}),
    };
  });
}
