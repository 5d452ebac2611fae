// The allowlist file the operator renders for one media node's probe sidecar; pure, so the render is deterministic.
import type { Allowlist } from './allowlist.js';

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
