// The media nodes' firewall: exactly what viewers and admins need, from the ports the operator renders MediaMTX with.
import { MEDIAMTX_PORTS } from '../operator/core/index.js';
import type { StackConfig } from './config.js';

export interface FirewallRule {
  description: string;
  direction: 'in';
  protocol: 'tcp' | 'udp';
  port: string;
  sourceIps: string[];
}

const ANYWHERE = ['0.0.0.0/0', '::/0'];

/**
 * Inbound rules; anything else inbound is dropped (Hetzner: "The inbound direction has an implicit deny").
 * The cluster's node ports (kubelet, flannel) get no rule: they are reached over the private network, which
 * Cloud Firewalls do not filter (https://docs.hetzner.com/cloud/firewalls/faq), and are closed on the public one.
 * No outbound rule: with none, all outbound traffic is allowed, and pulls go to any school's RTSP port.
 * MediaMTX's metrics, the probe and the tunnel status listen on the private address and get no rule either.
 */
export function firewallRules(admin: StackConfig['admin']): FirewallRule[] {
  return [
    { description: 'viewers: HLS over HTTPS', direction: 'in', protocol: 'tcp', port: String(MEDIAMTX_PORTS.hls), sourceIps: ANYWHERE },
    { description: 'viewers: WHEP over HTTPS', direction: 'in', protocol: 'tcp', port: String(MEDIAMTX_PORTS.webrtc), sourceIps: ANYWHERE },
    {
      description: 'viewers: WebRTC media (ICE over UDP)',
      direction: 'in',
      protocol: 'udp',
      port: String(MEDIAMTX_PORTS.webrtcUdp),
      sourceIps: ANYWHERE,
    },
    { description: 'admins: SSH', direction: 'in', protocol: 'tcp', port: '22', sourceIps: [...admin.cidrs].sort() },
  ];
}
