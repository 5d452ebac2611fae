// What an NVR or camera on the school LAN serves, asked over ONVIF from the agent's own machine: the device and its
// cameras with stream paths, named the way the media node names them (so onvifSync refines, never duplicates).
import { dialTcp } from '../lib/devices/net.js';
import { queryOnvif } from '../lib/devices/onvif.js';
import { discoveredCamerasOf, type DiscoveredCamera } from '../lib/devices/discovered-cameras.js';
import type { OnvifDevice } from '../lib/devices/result.js';

export interface Inventory {
  device: OnvifDevice;
  cameras: DiscoveredCamera[];
}

export async function inventory(target: { host: string; port: number; username: string; password: string; timeoutMs?: number }): Promise<Inventory> {
  const answer = await queryOnvif({
    address: target.host,
    port: target.port,
    credentials: { username: target.username, password: target.password },
    timeoutMs: target.timeoutMs ?? 8000,
    // On the LAN the agent talks to the school's own devices: there is no other network to protect from here.
    dial: dialTcp,
  });
  return { device: answer.device, cameras: discoveredCamerasOf(answer.cameras) };
}

/** The vendor the Nvr resource names, from what the device reports. */
export function vendorOf(manufacturer: string | undefined): 'hikvision' | 'dahua' | 'uniview' | 'onvif' {
  if (/hikvision|hikdigital/i.test(manufacturer ?? '')) return 'hikvision';
  if (/dahua/i.test(manufacturer ?? '')) return 'dahua';
  if (/uniview|\bunv\b/i.test(manufacturer ?? '')) return 'uniview';
  return 'onvif';
}
