// Submitting an NVR the agent found: its cameras read over ONVIF on the LAN, its router mapping tested from the
// school's media node (the only place whose egress IP the router admits), then proposed as a pull request.
import type { PosbonClient, ProposedNvr } from './api-client.js';
import { inventory, vendorOf, type Inventory } from './inventory.js';
import { ProbeFailure } from '../lib/devices/result.js';

export interface SubmitRequest {
  schoolId: string;
  /** The NVR's object name; the school id and a dash are prefixed when missing. */
  name: string;
  lan: { host: string; onvifPort: number };
  /** The router's public host and forwarded ports. */
  mapping: { publicHost: string; rtspPort: number; onvifPort?: number };
  credentials: { username: string; password: string };
  vendor?: ProposedNvr['vendor'];
}

export interface SubmitOutcome {
  proposal: { number: number; url: string; branch: string; created: boolean };
  mediaNode: string;
  cameras: { id: string; name: string; rtspPath?: string }[];
}

/** A problem with the device or its mapping that the person at the school can fix; the CLI exits 3. */
export class DeviceProblem extends Error {}

/**
 * `mappingTested`: the caller saw this very mapping pass the media node's test just now (the page's test step), so
 * the node's per-NVR probe budget is not spent twice on the same test.
 */
export async function submitNvr(client: PosbonClient, request: SubmitRequest, options: { mappingTested?: boolean } = {}): Promise<SubmitOutcome> {
  const school = await client.school(request.schoolId);
  if (!school.mediaNode) throw new DeviceProblem(`school ${request.schoolId} has no media node serving it yet; ask the platform team`);

  let found: Inventory;
  try {
    found = await inventory({ host: request.lan.host, port: request.lan.onvifPort, ...request.credentials });
  } catch (error) {
    const why = error instanceof ProbeFailure ? `${error.reason}: ${error.message}` : (error as Error).message;
    throw new DeviceProblem(`ONVIF on ${request.lan.host}:${request.lan.onvifPort} (LAN): ${why}`);
  }
  const cameras = found.cameras.filter((c) => c.mainPath);
  if (cameras.length === 0) throw new DeviceProblem(`${request.lan.host} reports no camera with an RTSP stream`);

  const { publicHost, rtspPort, onvifPort } = request.mapping;
  if (!options.mappingTested) await testMapping(client, request, school, cameras[0]!.mainPath!);

  const name = request.name.startsWith(`${request.schoolId}-`) ? request.name : `${request.schoolId}-${request.name}`;
  const proposed: ProposedNvr = {
    name,
    vendor: request.vendor ?? vendorOf(found.device.manufacturer),
    publicHost,
    publicRtspPort: rtspPort,
    ...(onvifPort !== undefined ? { publicOnvifPort: onvifPort } : {}),
    onvifSync: onvifPort !== undefined,
    cameras: cameras.map((c) => ({ id: c.id, name: c.name || c.id, rtspPath: c.mainPath! })),
    lan: {
      localIp: request.lan.host,
      ...(found.device.serialNumber ? { serial: found.device.serialNumber.slice(0, 128) } : {}),
      ...(found.device.model ? { model: found.device.model.slice(0, 128) } : {}),
    },
    credentials: request.credentials,
  };
  const answer = await client.proposeNvr(request.schoolId, proposed);
  return {
    proposal: { number: answer.proposal.number, url: answer.proposal.url, branch: answer.proposal.branch, created: answer.proposal.created },
    mediaNode: school.mediaNode,
    cameras: proposed.cameras,
  };
}

async function testMapping(client: PosbonClient, request: SubmitRequest, school: { mediaNode: string | null; allowlistIPs: string[] }, path: string): Promise<void> {
  const { publicHost, rtspPort, onvifPort } = request.mapping;
  const rtsp = await client.testFromNode(request.schoolId, { kind: 'rtsp', host: publicHost, rtspPort, path, credentials: request.credentials });
  if (rtsp.reason !== 'Ok') {
    throw new DeviceProblem(`media node ${school.mediaNode} cannot play rtsp://${publicHost}:${rtspPort}${path}: ${rtsp.reason}${rtsp.message ? ` (${rtsp.message})` : ''}; check the router forwards port ${rtspPort} to ${request.lan.host} and admits ${school.allowlistIPs.join(', ') || 'the node'}`);
  }
  if (onvifPort !== undefined) {
    const onvif = await client.testFromNode(request.schoolId, { kind: 'onvif', host: publicHost, rtspPort, onvifPort, credentials: request.credentials });
    if (onvif.reason !== 'Ok') throw new DeviceProblem(`media node ${school.mediaNode} cannot reach ONVIF at ${publicHost}:${onvifPort}: ${onvif.reason}${onvif.message ? ` (${onvif.message})` : ''}`);
  }
}
