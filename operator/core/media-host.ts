// What a media node's machine offers and how it is marked: MediaMTX's config, its workload and the node's firewall all read these.

/** Ports MediaMTX listens on (host network), as the rendered config and the workload declare them. */
export const MEDIAMTX_PORTS = {
  /** HLS, over TLS when the node has a certificate; a MediaNode's hlsBaseUrl names this port. */
  hls: 8888,
  /** WHEP, over TLS when the node has a certificate; a MediaNode's webrtcBaseUrl names this port. */
  webrtc: 8889,
  /** WebRTC media (ICE) over UDP, `webrtcLocalUDPAddress`. No TCP ICE listener is rendered. */
  webrtcUdp: 8189,
} as const;

/** Ports on the machine's private address only, for the cluster: MediaMTX's metrics, the probe and tunnel status. */
export const PRIVATE_PORTS = { metrics: 9998, probe: 9440, tunnelStatus: 9442 } as const;

/** Node label naming the media node a machine is; the workload is pinned to it. */
export const MEDIA_NODE_LABEL = 'posbon.io/media-node';

/** The ConfigMap of a media node's sealed MediaMTX config, also the name of its Deployment and Service. */
export const configMapName = (node: string) => `mediamtx-${node}`;

/** The taint that keeps every other workload off a media node's machine; only that node's MediaMTX tolerates it. */
export const mediaNodeTaint = (node: string) => ({ key: MEDIA_NODE_LABEL, value: node, effect: 'NoSchedule' as const });
