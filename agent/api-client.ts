// The Posbon API as the agent uses it: its school, a reachability test from the school's media node, and a
// proposal (pull request) for an NVR. Authenticated with the school's agent token.
import type { ProbeResult } from '../lib/devices/result.js';

export interface ProposedNvr {
  name: string;
  vendor: 'hikvision' | 'dahua' | 'uniview' | 'onvif';
  publicHost: string;
  publicRtspPort: number;
  publicOnvifPort?: number;
  onvifSync: boolean;
  cameras: { id: string; name: string; rtspPath?: string; channel?: number }[];
  lan?: { localIp?: string; serial?: string; model?: string };
  credentials: { username: string; password: string };
}

export interface SchoolAnswer {
  id: string;
  mediaNode: string | null;
  allowlistIPs: string[];
  tunnel: {
    mediaNode: string;
    address: string;
    nodeAddress: string | null;
    endpoint: string;
    nodePublicKey: string | null;
    lastHandshake: string | null;
  } | null;
}

export interface ProposalAnswer {
  proposal: { number: number; url: string; title: string; branch: string; created: boolean };
}

/** An answer of the API that is not a success; `status` 0 when it could not be reached. */
export class ApiRefused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class PosbonClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl.replace(/\/+$/, '')}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (error) {
      throw new ApiRefused(0, `cannot reach the Posbon API at ${this.baseUrl}: ${(error as Error).message}`);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const said = (parsed as { error?: unknown } | undefined)?.error;
      throw new ApiRefused(response.status, `${method} ${path}: ${response.status} ${typeof said === 'string' ? said : text.slice(0, 200)}`);
    }
    return parsed as T;
  }

  school(schoolId: string): Promise<SchoolAnswer> {
    return this.request('GET', `/schools/${encodeURIComponent(schoolId)}`);
  }

  /** Probes the router's public host and port from the school's media node, with credentials used once. */
  testFromNode(
    schoolId: string,
    test: { kind: 'tcp' | 'rtsp' | 'onvif'; host: string; rtspPort: number; onvifPort?: number; path?: string; credentials?: { username: string; password: string } },
  ): Promise<ProbeResult> {
    return this.request('POST', `/schools/${encodeURIComponent(schoolId)}/test-connection`, test);
  }

  /** Probes a declared NVR from its media node, with the credentials of its Secret (for a tunnel NVR, through the tunnel). */
  testNvr(nvrId: string, test: { kind: 'tcp' | 'rtsp' | 'onvif'; port?: number }): Promise<ProbeResult> {
    return this.request('POST', `/nvrs/${encodeURIComponent(nvrId)}/test-connection`, test);
  }

  /** Proposes tunnel mode with the gateway's public key; the private key stays on the school's machine. */
  proposeTunnel(schoolId: string, tunnel: { publicKey: string; expose: string[]; persistentKeepalive: number }): Promise<ProposalAnswer> {
    return this.request('PUT', `/schools/${encodeURIComponent(schoolId)}/tunnel`, tunnel);
  }

  proposeNvr(schoolId: string, nvr: ProposedNvr): Promise<ProposalAnswer> {
    return this.request('POST', `/schools/${encodeURIComponent(schoolId)}/nvrs`, nvr);
  }

  /** Issues (or rotates, the previous one working a day longer) the token a FaceID terminal pushes with. */
  webhookCredential(schoolId: string, device: string): Promise<WebhookCredential> {
    return this.request('POST', `/schools/${encodeURIComponent(schoolId)}/faceid-devices/${encodeURIComponent(device)}/webhook-credential`, {});
  }
}

export interface WebhookCredential {
  vendor: 'hikvision' | 'zkteco' | 'dahua';
  /** Null for ZKTeco, whose push carries no secret. */
  token: string | null;
  /** Hikvision: a URL per direction the device records (`in`, `out`); Dahua: `upload`; ZKTeco: `server`. */
  push: { protocol: 'http' | 'https'; host: string; port: number; urls: Record<string, string> };
  rotated: boolean;
}
