// The agent's diagnostic report: this machine's network (interfaces, gateway, DNS), the school's public address as
// the API sees it with a NAT/CGNAT guess, the clock against the API's (FaceID timestamps depend on it), the media
// node's reachability, each NVR's mapping test from the node and whether each camera path answers on WHEP and HLS.
// Redacted before it leaves the function: no credential, no token.
import { getServers } from 'node:dns';
import { redact } from '../../lib/log/logger.js';
import type { PosbonClient } from '../api-client.js';
import { hasDefaultGateway, localInterfaces } from '../scan/interfaces.js';
import { ipToInt, isPrivateSubnet } from '../scan/subnets.js';

export interface DiagnosticReport {
  generatedAt: string;
  schoolId: string;
  lan: { interfaces: { name: string; address: string; prefix: number }[]; defaultGateway: boolean; dns: string[] };
  publicAddress: { seenByApi: string; guess: 'cgnat' | 'private' | 'public' | 'unknown' };
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

export async function collectDiagnostics(client: PosbonClient, schoolId: string): Promise<DiagnosticReport> {
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
      dns: getServers(),
    },
    publicAddress: { seenByApi: view.clientAddress, guess: addressGuess(view.clientAddress) },
    clock: { skewSeconds: Number.isFinite(skew) ? skew : null, ok: Number.isFinite(skew) && Math.abs(skew) <= MAX_CLOCK_SKEW_SECONDS },
    mediaNode: { name: view.mediaNode, webrtc: await answers(view.webrtcBaseUrl), hls: await answers(view.hlsBaseUrl) },
    nvrs: nvrResults,
    cameras: await Promise.all(
      cameras.map(async (c) => ({ path: c.path, whep: await answers(join(view.webrtcBaseUrl, `${c.path}/whep`)), hls: await answers(join(view.hlsBaseUrl, `${c.path}/index.m3u8`)) })),
    ),
  };
  return redact(report) as DiagnosticReport;
}
