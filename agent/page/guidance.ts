// Router guidance for a school admin: which public port to forward to which LAN address and port, and which
// addresses alone may come in (the school's media node egress IPs). Pure.

export interface ChosenDevice {
  ip: string;
  rtspPort: number | null;
  onvifPort: number | null;
}

export interface PortForward {
  publicPort: number;
  lanHost: string;
  lanPort: number;
  protocol: 'TCP';
  what: 'rtsp' | 'onvif';
}

/**
 * Public ports the media node's probe may test (its default camera ports, operator/probe/bounds.ts), in the order
 * they are handed out: RTSP's own ports, then HTTP alternates for ONVIF; 80 and 443 stay free for the router's own page.
 */
export const PUBLIC_PORTS = { rtsp: [554, 8554, 10554], onvif: [8080, 8081, 8899] } as const;

export interface RouterGuidance {
  forwards: PortForward[];
  allowFrom: string[];
  /** Devices left without a public port (more devices than camera ports): they need the tunnel instead. */
  unplaced: string[];
}

export function routerGuidance(devices: ChosenDevice[], allowFrom: string[]): RouterGuidance {
  const forwards: PortForward[] = [];
  const unplaced: string[] = [];
  const next = { rtsp: 0, onvif: 0 };
  for (const d of devices) {
    const wanted = (['rtsp', 'onvif'] as const).filter((what) => (what === 'rtsp' ? d.rtspPort : d.onvifPort));
    if (wanted.some((what) => next[what] >= PUBLIC_PORTS[what].length)) {
      unplaced.push(d.ip);
      continue;
    }
    for (const what of wanted) {
      forwards.push({ publicPort: PUBLIC_PORTS[what][next[what]++]!, lanHost: d.ip, lanPort: (what === 'rtsp' ? d.rtspPort : d.onvifPort)!, protocol: 'TCP', what });
    }
  }
  return { forwards, allowFrom: [...allowFrom].sort(), unplaced };
}
