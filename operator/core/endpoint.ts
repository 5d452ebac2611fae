// Where the media node dials an NVR: its public host in public mode, its LAN address through the tunnel otherwise.
import type { Nvr } from '../../crds/index.js';

export interface NvrEndpoint {
  host: string;
  rtspPort: number;
  onvifPort?: number;
  via: 'public' | 'tunnel';
}

export function nvrEndpoint(nvr: Nvr): NvrEndpoint {
  const { tunnel, publicHost, publicRtspPort, publicOnvifPort } = nvr.spec;
  if (nvr.spec.connectivity === 'tunnel' && tunnel) {
    return { host: tunnel.host, rtspPort: tunnel.rtspPort, ...(tunnel.onvifPort !== undefined ? { onvifPort: tunnel.onvifPort } : {}), via: 'tunnel' };
  }
  // The schema requires publicHost in public mode; an empty host fails MediaMTX's validation rather than a crash here.
  return { host: publicHost ?? '', rtspPort: publicRtspPort, ...(publicOnvifPort !== undefined ? { onvifPort: publicOnvifPort } : {}), via: 'public' };
}
