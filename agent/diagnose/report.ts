// The agent's diagnostic report: this machine's network (interfaces, gateway, DNS), the school's public address as
// the API sees it with a NAT/CGNAT guess, the clock against the API's (FaceID timestamps depend on it), the media
// node's reachability, each NVR's mapping test from the node and whether each camera path answers on WHEP and HLS.
// Redacted before it leaves the function: no credential, no token.
import { getServers } from 'node:dns';
import { redact } from '../../lib/log/logger.js';
import { routerWanAddress, type RouterWan } from '../../lib/devices/router-wan.js';
import type { PosbonClient } from '../api-client.js';
import { defaultGatewayAddress, hasDefaultGateway, localInterfaces } from '../scan/interfaces.js';
import { ipToInt, isPrivateSubnet } from '../scan/subnets.js';

export interface DiagnosticReport {
  generatedAt: string;
  schoolId: string;
  lan: { interfaces: { name: string; address: string; prefix: number }[]; defaultGateway: boolean; gatewayAddress: string | null; dns: string[] };
  publicAddress: {
    seenByApi: string;
    guess: 'cgnat' | 'private' | 'public' | 'unknown';
    /** What the router says its WAN address is (UPnP IGD, else NAT-PMP); null when it answers neither. */
    routerWan: RouterWan | null;
    nat: NatVerdict;
  };
  clock: { skewSeconds: number | null; ok: boolean };
  mediaNode: { name: string | null; webrtc: string; hls: string };
  nvrs: { id: string; ok: boolean; reason: string }[];
  cameras: { path: string; whep: string; hls: string }[];
}

/** FaceID events are stored with the terminal's time; more skew than this misfiles them near midnight. */
export const MAX_CLOCK_SKEW_SECONDS = 30;

const CGNAT = [ipToInt('100.64.0.0'), 10] as const;

export function addressGuess(address: string): DiagnosticReport['publicAddress']['guess'] {
  const v4 = address.replace(/^::ffff:/, '');
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(v4)) return 'unknown';
  const n = ipToInt(v4);
  if (((n & 0xffc00000) >>> 0) === CGNAT[0]) return 'cgnat';
  return isPrivateSubnet(n, 32) || v4.startsWith('127.') ? 'private' : 'public';
}

export type NatVerdict = 'no-nat-beyond-router' | 'cgnat' | 'double-nat-or-cgnat' | 'router-wan-unknown';

export const NAT_VERDICT_TEXT: Record<NatVerdict, string> = {
  'no-nat-beyond-router': 'no NAT beyond the router: port forwarding on the router reaches the school',
  cgnat: 'CGNAT: the router\'s WAN address is in 100.64.0.0/10, so the provider shares it; port forwarding cannot work, use the tunnel',
  'double-nat-or-cgnat': 'double NAT or CGNAT: the router\'s WAN address is not the address the API sees; forward on the upstream router too, or use the tunnel',
  'router-wan-unknown': 'router WAN address unknown: the router answers neither UPnP IGD nor NAT-PMP',
};

/** The NAT guess from the address the API sees and the one the router reports. Pure. */
export function natVerdict(seenByApi: string, routerWan: string | null): NatVerdict {
  if (!routerWan) return 'router-wan-unknown';
  if (addressGuess(routerWan) === 'cgnat') return 'cgnat';
  return routerWan === seenByApi.replace(/^::ffff:/, '') ? 'no-nat-beyond-router' : 'double-nat-or-cgnat';
}

/** What a URL answers: `answers <status>` (401 too: the server and path are there), or why it does not. */
async function answers(url: string | null): Promise<string> {
  if (!url) return 'no media node';
  try {
    const res = await fetch(url, { method: 'GET', signal: AbortSignal.timeout(5000) });
    await res.arrayBuffer().catch(() => undefined);
    return `answers ${res.status}`;
  } catch (error) {
    return `unreachable: ${((error as Error & { cause?: { code?: string } }).cause?.code ?? (error as Error).message)}`;
  }
}

export async function collectDiagnostics(client: PosbonClient, schoolId: string, options: { routerTimeoutMs?: number } = {}): Promise<DiagnosticReport> {
  const gatewayAddress = await defaultGatewayAddress();
  const routerWan = await routerWanAddress({ gateway: gatewayAddress, timeoutMs: options.routerTimeoutMs ?? 3000 });
  const before = Date.now();
  const view = await client.networkView(schoolId);
  const after = Date.now();
  const skew = Math.round(((before + after) / 2 - Date.parse(view.serverTime)) / 1000);
  const nvrs = await client.nvrs(schoolId);
  const cameras = await client.cameras(schoolId);
  const nvrResults = await Promise.all(
    nvrs.map(async (n) => {
      try {
        const result = await client.testNvr(n.id, { kind: 'rtsp' });
        return { id: n.id, ok: result.reason === 'Ok', reason: result.reason };
      } catch (error) {
        return { id: n.id, ok: false, reason: (error as Error).message };
      }
    }),
  );
  const join = (base: string | null, path: string) => (base ? `${base.replace(/\/+$/, '')}/${path}` : null);
  const report: DiagnosticReport = {
    generatedAt: new Date().toISOString(),
    schoolId,
    lan: {
      interfaces: localInterfaces().filter((i) => !i.internal).map(({ name, address, prefix }) => ({ name, address, prefix })),
      defaultGateway: await hasDefaultGateway(),
      gatewayAddress,
      dns: getServers(),
    },
    publicAddress: {
      seenByApi: view.clientAddress,
      guess: addressGuess(view.clientAddress),
      routerWan,
      nat: natVerdict(view.clientAddress, routerWan?.address ?? null),
    },
    clock: { skewSeconds: Number.isFinite(skew) ? skew : null, ok: Number.isFinite(skew) && Math.abs(skew) <= MAX_CLOCK_SKEW_SECONDS },
    mediaNode: { name: view.mediaNode, webrtc: await answers(view.webrtcBaseUrl), hls: await answers(view.hlsBaseUrl) },
    nvrs: nvrResults,
    cameras: await Promise.all(
      cameras.map(async (c) => ({ path: c.path, whep: await answers(join(view.webrtcBaseUrl, `${c.path}/whep`)), hls: await answers(join(view.hlsBaseUrl, `${c.path}/index.m3u8`)) })),
    ),
  };
  return redact(report) as DiagnosticReport;
}
