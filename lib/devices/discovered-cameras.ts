// ONVIF cameras in the shape of `Nvr.status.discoveredCameras[]`, as the operator and the agent report them.
import type { OnvifCamera } from './result.js';

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
