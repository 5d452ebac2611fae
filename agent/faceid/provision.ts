// Pointing a FaceID terminal at the webhook, whatever its vendor: the API's credential for the FaceIdDevice says the
// vendor and where it pushes. Hikvision (ISAPI) and Dahua (configManager.cgi) are set over the LAN; ZKTeco's cloud
// server is set on the terminal's own menu, so the agent gives the exact values. Then, when asked, the agent waits
// for the first push to reach the webhook (the API's last-event time of that device).
import { DahuaClient, DahuaRefused } from './dahua.js';
import { provisionHikvision, type ProvisionOutcome, type ProvisionRequest } from '../faceid.js';
import type { PosbonClient, WebhookCredential } from '../api-client.js';
import { DeviceProblem } from '../submit.js';

export interface FaceIdOutcome extends Partial<ProvisionOutcome> {
  schoolId: string;
  device: string;
  vendor: WebhookCredential['vendor'];
  /** ZKTeco: the values to enter on the terminal, in order (its menu: COMM. → Cloud Server Setting). */
  manualSteps?: { setting: string; value: string }[];
  /** Set when the agent waited: when the first push reached the webhook, or null if it did not in time. */
  firstPushAt?: string | null;
}

const hostOf = (host: string) => (host.includes(':') ? `[${host}]` : host);

/** ZKTeco ADMS: the server is set by hand on the terminal; these are the exact values for it. */
export function zktecoSteps(credential: WebhookCredential): { setting: string; value: string }[] {
  return [
    { setting: 'COMM. → Cloud Server Setting → Server Mode', value: 'ADMS' },
    { setting: 'Enable Domain Name', value: /^[\d.]+$/.test(credential.push.host) ? 'OFF' : 'ON' },
    { setting: 'Server Address', value: credential.push.host },
    { setting: 'Server Port', value: String(credential.push.port) },
    { setting: 'HTTPS', value: credential.push.protocol === 'https' ? 'ON' : 'OFF' },
    { setting: 'Enable Proxy Server', value: 'OFF' },
  ];
}

async function provisionDahua(client: PosbonClient, request: ProvisionRequest): Promise<FaceIdOutcome> {
  const dahua = new DahuaClient(`http://${hostOf(request.lan.host)}:${request.lan.port}`, request.credentials);
  const problem = (error: unknown): never => {
    if (error instanceof DahuaRefused) throw new DeviceProblem(`terminal ${request.lan.host}:${request.lan.port} (LAN): ${error.reason}: ${error.message}`);
    throw error;
  };
  // The terminal answers these credentials before a push token is issued for it.
  const info = await dahua.deviceInfo().catch(problem);
  const credential = await issued(client, request, 'dahua');
  const url = new URL(credential.push.urls.upload!);
  await dahua.setEventUpload({ host: url.hostname, port: credential.push.port, path: url.pathname, https: credential.push.protocol === 'https' }).catch(problem);
  return {
    schoolId: request.schoolId,
    device: request.device,
    vendor: 'dahua',
    ...info,
    pushesTo: `${url.origin}${url.pathname.replace(credential.token ?? '', '<token>')}`,
    rotated: credential.rotated,
  };
}

async function issued(client: PosbonClient, request: ProvisionRequest, vendor: WebhookCredential['vendor']): Promise<WebhookCredential> {
  const credential = await client.webhookCredential(request.schoolId, request.device);
  if (credential.vendor !== vendor) throw new DeviceProblem(`FaceIdDevice ${request.device} is a ${credential.vendor} terminal, not ${vendor}`);
  return credential;
}

/** Polls the API until the device's newest event was received after `since`, or the time is up. */
export async function waitForFirstPush(client: PosbonClient, schoolId: string, device: string, since: Date, timeoutMs: number, everyMs = 2000): Promise<string | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { lastReceivedAt } = await client.faceIdLastEvent(schoolId, device);
    if (lastReceivedAt && Date.parse(lastReceivedAt) >= since.getTime()) return lastReceivedAt;
    if (Date.now() >= deadline) return null;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export async function provisionFaceId(
  client: PosbonClient,
  request: ProvisionRequest & { vendor: WebhookCredential['vendor'] },
  wait?: { timeoutMs: number; onWaiting?: () => void },
): Promise<FaceIdOutcome> {
  const since = new Date(Date.now() - 1000);
  let outcome: FaceIdOutcome;
  if (request.vendor === 'hikvision') {
    outcome = { ...(await provisionHikvision(client, request)), vendor: 'hikvision' };
  } else if (request.vendor === 'dahua') {
    outcome = await provisionDahua(client, request);
  } else {
    const credential = await issued(client, request, 'zkteco');
    outcome = { schoolId: request.schoolId, device: request.device, vendor: 'zkteco', pushesTo: credential.push.urls.server!, rotated: false, manualSteps: zktecoSteps(credential) };
  }
  if (!wait) return outcome;
  wait.onWaiting?.();
  return { ...outcome, firstPushAt: await waitForFirstPush(client, request.schoolId, request.device, since, wait.timeoutMs) };
}
