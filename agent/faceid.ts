// Pointing a Hikvision FaceID terminal at the webhook: check the terminal answers with these credentials, get its
// push token from the API (a rotation keeps the previous token working a day, so a terminal that is not
// reconfigured in the end keeps pushing), set its HTTP host, and read it back.
import { IsapiClient, IsapiRefused } from '../lib/devices/isapi.js';
import type { PosbonClient } from './api-client.js';
import { DeviceProblem } from './submit.js';

export interface ProvisionRequest {
  schoolId: string;
  /** The FaceIdDevice's name. */
  device: string;
  direction: 'in' | 'out';
  lan: { host: string; port: number };
  credentials: { username: string; password: string };
}

export interface ProvisionOutcome {
  schoolId: string;
  device: string;
  model?: string;
  serialNumber?: string;
  /** Where the terminal now pushes, with its token left out. */
  pushesTo: string;
  rotated: boolean;
}

export async function provisionHikvision(client: PosbonClient, request: ProvisionRequest): Promise<ProvisionOutcome> {
  const isapi = new IsapiClient(`http://${request.lan.host.includes(':') ? `[${request.lan.host}]` : request.lan.host}:${request.lan.port}`, request.credentials);
  const problem = (error: unknown): never => {
    if (error instanceof IsapiRefused) throw new DeviceProblem(`terminal ${request.lan.host}:${request.lan.port} (LAN): ${error.reason}: ${error.message}`);
    throw error;
  };
  const info = await isapi.deviceInfo().catch(problem);
  const credential = await client.webhookCredential(request.schoolId, request.device);
  const url = credential.vendor === 'hikvision' ? credential.push.urls[request.direction] : undefined;
  if (!url) {
    const what = credential.vendor === 'hikvision' ? `records only ${Object.keys(credential.push.urls).join(' and ')}` : `is a ${credential.vendor} terminal`;
    throw new DeviceProblem(`FaceIdDevice ${request.device} ${what}: it has no Hikvision '${request.direction}' push URL`);
  }
  const target = new URL(url);
  const https = target.protocol === 'https:';
  await isapi
    .setHttpHost({
      url: `${target.pathname}${target.search}`,
      protocolType: https ? 'HTTPS' : 'HTTP',
      hostName: target.hostname,
      portNo: Number(target.port || (https ? 443 : 80)),
    })
    .catch(problem);
  return {
    schoolId: request.schoolId,
    device: request.device,
    ...(info.model ? { model: info.model } : {}),
    ...(info.serialNumber ? { serialNumber: info.serialNumber } : {}),
    pushesTo: `${target.origin}${target.pathname.replace(credential.token ?? '', '<token>')}`,
    rotated: credential.rotated,
  };
}
