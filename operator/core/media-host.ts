// What a media node's machine offers and how it is marked: MediaMTX's config, its workload and the node's firewall all read these.

/** Ports MediaMTX listens on (host network), as the rendered config and the workload declare them. */
export const MEDIAMTX_PORTS = {
  hls: 8888,
  /** WHEP over HTTP; viewers reach it through the node's TLS front on `VIEWER_HTTPS_PORT`. */
  webrtc: 8889,
  /** WebRTC media (ICE) over UDP, `webrtcLocalUDPAddress`. No TCP ICE listener is rendered. */
  webrtcUdp: 8189,
} as const;

/** Viewers' HTTPS port for WHEP and HLS: a MediaNode's base URLs are https on the default port. */
export const VIEWER_HTTPS_PORT = 443;

/** Node label naming the media node a machine is; the workload is pinned to it. */
export const MEDIA_NODE_LABEL = 'posbon.io/media-node';

/** The ConfigMap of a media node's sealed MediaMTX config, also the name of its Deployment and Service. */
export const configMapName = (node: string) => `mediamtx-${node}`;

/** The taint that keeps every other workload off a media node's machine; only that node's MediaMTX tolerates it. */
export const mediaNodeTaint = (node: string) => ({ key: MEDIA_NODE_LABEL, value: node, effect: 'NoSchedule' as const });
