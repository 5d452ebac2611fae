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

/** Public ports from 20001 on, ten per device, so each NVR's mapping is easy to read and never collides. */
export const FIRST_PUBLIC_PORT = 20_000;

export function routerGuidance(devices: ChosenDevice[], allowFrom: string[]): { forwards: PortForward[]; allowFrom: string[] } {
  const forwards: PortForward[] = [];
  devices.forEach((d, i) => {
    const base = FIRST_PUBLIC_PORT + i * 10;
    if (d.rtspPort) forwards.push({ publicPort: base + 1, lanHost: d.ip, lanPort: d.rtspPort, protocol: 'TCP', what: 'rtsp' });
    if (d.onvifPort) forwards.push({ publicPort: base + 2, lanHost: d.ip, lanPort: d.onvifPort, protocol: 'TCP', what: 'onvif' });
  });
  return { forwards, allowFrom: [...allowFrom].sort() };
}
