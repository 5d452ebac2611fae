// How the operator and the API call one media node's probe sidecar.
import { z } from 'zod';
import type { Credentials } from '../devices/digest.js';
import { onvifResultSchema, rtspResultSchema, tcpResultSchema, type OnvifResult, type RtspResult, type TcpResult } from '../devices/result.js';

export class ProbeClientError extends Error {
  constructor(
    /** `Unauthorized`, `RateLimited`, `InvalidInput`, `Unavailable` or the sidecar's error code. */
    readonly code: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** A proposed NVR: the API's ticket and, used once and never stored, the credentials the caller typed. */
export interface Proposed {
  ticket?: string;
  credentials?: Credentials;
}

export interface ProbeClientOptions {
  /** The sidecar of the NVR's media node, e.g. `http://10.0.0.5:9440`. */
  baseUrl: string;
  /** The bearer token from the probe Secret. */
  token: string;
  /** Who is asking, for the sidecar's audit line (e.g. `operator`, `api:user@school`). */
  caller?: string;
  /** Upper bound for one HTTP call; the probe's own timeout is the sidecar's. */
  requestTimeoutMs?: number;
  fetch?: typeof fetch;
}

export class ProbeClient {
  private constructor(private readonly options: ProbeClientOptions) {}

  static create(options: ProbeClientOptions): ProbeClient {
    return new ProbeClient(options);
  }

  /** TCP connect to a declared port of the NVR `<namespace>/<name>` (a proposed one needs its `ticket`). */
  tcp(nvr: string, port: number, options: { ticket?: string } = {}): Promise<TcpResult> {
    return this.call('tcp', { nvr, port, ...options }, tcpResultSchema);
  }

  /**
   * RTSP OPTIONS and DESCRIBE; `path` like `Streaming/Channels/101`, port defaults to the declared RTSP port.
   * `credentials` only with a `ticket`: an allowlisted NVR's come from its Secret on the node.
   */
  rtsp(nvr: string, options: { path?: string; port?: number } & Proposed = {}): Promise<RtspResult> {
    return this.call('rtsp', { nvr, ...options }, rtspResultSchema);
  }

  /** ONVIF device information and cameras with main and sub streams. */
  onvif(nvr: string, options: Proposed = {}): Promise<OnvifResult> {
    return this.call('onvif', { nvr, ...options }, onvifResultSchema);
  }

  private async call<T>(kind: string, body: unknown, schema: z.ZodType<T>): Promise<T> {
    const doFetch = this.options.fetch ?? fetch;
    let res: Response;
    try {
      res = await doFetch(new URL(`/v1/probes/${kind}`, this.options.baseUrl), {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Authorization: `Bearer ${this.options.token}`,
          'X-Posbon-Caller': this.options.caller ?? 'unknown',
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 65_000),
      });
    } catch (error) {
      throw new ProbeClientError('Unavailable', `probe sidecar at ${this.options.baseUrl} did not answer: ${(error as Error).message}`);
    }
    const payload = (await res.json().catch(() => undefined)) as { error?: string; message?: string } | undefined;
    if (!res.ok) {
      throw new ProbeClientError(payload?.error ?? 'Unavailable', payload?.message ?? `probe sidecar answered ${res.status}`, res.status);
    }
    const parsed = schema.safeParse(payload);
    if (!parsed.success) throw new ProbeClientError('Unavailable', `probe sidecar answered an unexpected shape: ${parsed.error.issues[0]?.message}`);
    return parsed.data;
  }
}
