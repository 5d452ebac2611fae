// The probes themselves: admission by the allowlist, the rate limit, the guarded connection, one audit line each.
import { performance } from 'node:perf_hooks';
import { admit, findTarget, type Admission, type Allowlist, type AllowlistTarget } from '../../lib/probe-protocol/allowlist.js';
import type { FleetBounds } from './bounds.js';
import type { Logger } from '../../lib/log/logger.js';
import { checkedAddress, connectWithin, type Dial, type Resolve } from '../../lib/devices/net.js';
import { queryOnvif } from '../../lib/devices/onvif.js';
import type { TokenBucketLimiter } from '../../lib/rate/token-bucket.js';
import { ProbeFailure, type OnvifResult, type ProbeReason, type RtspResult, type TcpResult } from '../../lib/devices/result.js';
import type { OnvifRequest, RtspRequest, TcpRequest } from '../../lib/probe-protocol/requests.js';
import { RtspConnection } from '../../lib/devices/rtsp.js';
import type { Credentials } from '../../lib/devices/digest.js';
import { videoStreamsOf } from '../../lib/devices/sdp.js';
import { admitTicket } from '../../lib/probe-protocol/ticket.js';

export class RateLimitedError extends Error {}

export interface ProbeServiceDeps {
  node: string;
  allowlist: () => Allowlist | undefined;
  credentials: (namespace: string, secret: string) => Promise<Credentials | undefined>;
  resolve: Resolve;
  /** Opens sockets; main passes one capped in bytes received (cappedDial). */
  dial: Dial;
  /** Ports a probe may reach at all, whatever an allowlist entry or a ticket declares. */
  ports: ReadonlySet<number>;
  /** The node's own, the fleet's and the cluster's addresses: never reached, even when public. */
  bounds: FleetBounds;
  timeoutMs: number;
  logger: Logger;
  /** Per resolved address, so that many names (or NVRs) for one target share one bucket. */
  limiter: TokenBucketLimiter;
  /** Keys that sign probe tickets for proposed NVRs; none means tickets are refused. */
  ticketKeys?: () => Promise<Buffer[]>;
  now?: () => number;
}

/** Who may be probed: an NVR of the allowlist, or a proposed one under a ticket with its one-time credentials. */
interface Subject {
  nvr: string;
  ticket?: string | undefined;
  credentials?: Credentials | undefined;
}

/** Admission plus where the credentials come from. */
type Admitted = { admitted: true; target: AllowlistTarget; credentials: () => Promise<Credentials | undefined> };

type Kind = 'tcp' | 'rtsp' | 'onvif';

interface Outcome {
  reason: ProbeReason;
  message: string;
  address?: string;
  latencyMs?: number;
}

const DEFAULT_RTSP_PORT = 554;
const DEFAULT_ONVIF_PORT = 80;

function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export class ProbeService {
  private constructor(private readonly deps: ProbeServiceDeps) {}

  static create(deps: ProbeServiceDeps): ProbeService {
    return new ProbeService(deps);
  }

  async tcp(request: TcpRequest, caller = 'unknown'): Promise<TcpResult> {
    const { outcome } = await this.run(
      'tcp',
      request,
      () => request.port,
      caller,
      async (_target, address) => {
        const socket = await connectWithin(this.deps.dial, address, request.port, this.deps.timeoutMs);
        socket.destroy();
        return {};
      },
    );
    return { kind: 'tcp', ...this.base(request.nvr, outcome.started), ...outcome.fields, port: request.port };
  }

  async rtsp(request: RtspRequest, caller = 'unknown'): Promise<RtspResult> {
    const path = (request.path ?? '').replace(/^\/+/, '');
    const seen: Partial<Pick<RtspResult, 'status' | 'server' | 'streams'>> = {};
    const portOf = (target?: AllowlistTarget) => request.port ?? target?.rtspPort ?? DEFAULT_RTSP_PORT;
    const { outcome, port } = await this.run(
      'rtsp',
      request,
      portOf,
      caller,
      async (target, address, credentialsOf) => {
        const port = portOf(target);
        const deadline = Date.now() + this.deps.timeoutMs;
        const socket = await connectWithin(this.deps.dial, address, port, this.deps.timeoutMs);
        const connection = new RtspConnection(socket);
        const timer = setTimeout(
          () => socket.destroy(new ProbeFailure('Timeout', 'the device stopped answering')),
          Math.max(deadline - Date.now(), 1),
        );
        try {
          const credentials = await credentialsOf();
          const url = `rtsp://${urlHost(target.host)}:${port}/${path}`;
          const options = await connection.requestWithAuth('OPTIONS', url, credentials);
          const server = options.headers.get('server')?.[0];
          if (server) seen.server = server.slice(0, 200);
          const describe = await connection.requestWithAuth('DESCRIBE', url, credentials, {
            Accept: 'application/sdp',
          });
          seen.status = describe.status;
          if (describe.status !== 200) throw new ProbeFailure('ProtocolError', `DESCRIBE answered ${describe.status}`);
          seen.streams = videoStreamsOf(describe.body);
          return {};
        } catch (error) {
          if (error instanceof ProbeFailure && error.reason === 'AuthFailed') seen.status = 401;
          throw socket.errored instanceof ProbeFailure ? socket.errored : error;
        } finally {
          clearTimeout(timer);
          connection.close();
        }
      },
    );
    return { kind: 'rtsp', ...this.base(request.nvr, outcome.started), ...outcome.fields, port, path, ...seen };
  }

  async onvif(request: OnvifRequest, caller = 'unknown'): Promise<OnvifResult> {
    let answer: Pick<OnvifResult, 'device' | 'cameras'> = {};
    const portOf = (target?: AllowlistTarget) => target?.onvifPort ?? DEFAULT_ONVIF_PORT;
    const { outcome, port } = await this.run(
      'onvif',
      request,
      portOf,
      caller,
      async (target, address, credentialsOf) => {
        const port = portOf(target);
        answer = await queryOnvif({
          address,
          port,
          credentials: await credentialsOf(),
          timeoutMs: this.deps.timeoutMs,
          dial: this.deps.dial,
        });
        return { cameras: answer.cameras?.length ?? 0 };
      },
    );
    return { kind: 'onvif', ...this.base(request.nvr, outcome.started), ...outcome.fields, port, ...answer };
  }

  /**
   * The target a request may reach. With a ticket, only the ticket's proposed NVR, never an allowlist entry; without
   * one, only the allowlist, whose credentials come from the mounted Secrets and never from the request.
   */
  private async targetOf(
    subject: Subject,
  ): Promise<{
    target: AllowlistTarget | undefined;
    check: (port: number) => Admitted | (Admission & { admitted: false });
  }> {
    if (subject.ticket !== undefined) {
      const keys = (await this.deps.ticketKeys?.()) ?? [];
      const found = admitTicket(
        subject.ticket,
        keys,
        this.deps.node,
        subject.nvr,
        undefined,
        (this.deps.now ?? Date.now)(),
      );
      const given = subject.credentials;
      return {
        target: found.admitted ? found.target : undefined,
        check: (port) => {
          if (!found.admitted) return found;
          if (!found.target.ports.includes(port))
            return { admitted: false, message: `port ${port} is not declared for ${subject.nvr}` };
          return { admitted: true, target: found.target, credentials: async () => given };
        },
      };
    }
    if (subject.credentials !== undefined) {
      const refusal = {
        admitted: false as const,
        message: 'credentials: accepted only with a ticket; an allowlisted NVR uses its Secret',
      };
      return { target: undefined, check: () => refusal };
    }
    const allowlist = this.deps.allowlist();
    return {
      target: findTarget(allowlist, this.deps.node, subject.nvr),
      check: (port) => {
        const admission = admit(allowlist, this.deps.node, subject.nvr, port);
        return admission.admitted
          ? { ...admission, credentials: () => this.credentialsOf(admission.target) }
          : admission;
      },
    };
  }

  private credentialsOf(target: AllowlistTarget): Promise<Credentials | undefined> {
    if (!target.credentialsSecret) return Promise.resolve(undefined);
    const [namespace] = target.nvr.split('/') as [string];
    return this.deps.credentials(namespace, target.credentialsSecret);
  }

  private base(nvr: string, started: Date) {
    return { nvr, node: this.deps.node, at: started.toISOString() };
  }

  private async run(
    kind: Kind,
    subject: Subject,
    portOf: (target?: AllowlistTarget) => number,
    caller: string,
    work: (
      target: AllowlistTarget,
      address: string,
      credentials: () => Promise<Credentials | undefined>,
    ) => Promise<Record<string, unknown>>,
  ): Promise<{ outcome: { started: Date; fields: Outcome }; port: number }> {
    const started = new Date();
    const nvr = subject.nvr;
    const { target, check } = await this.targetOf(subject);
    const port = portOf(target);
    const admission = check(port);
    let fields: Outcome;
    let extra: Record<string, unknown> = {};
    if (!admission.admitted) {
      fields = { reason: 'NotAllowlisted', message: admission.message };
    } else if (!this.deps.ports.has(port)) {
      fields = {
        reason: 'NotAllowlisted',
        message: `port ${port} is not a camera port this probe may reach (${[...this.deps.ports].sort((a, b) => a - b).join(', ')})`,
      };
    } else {
      let address: string | undefined;
      const t0 = performance.now();
      try {
        // A tunnel NVR's LAN address is routed only into its own school's tunnel; nothing is resolved for it.
        address = admission.target.tunnel
          ? admission.target.host
          : await checkedAddress(admission.target.host, this.deps.resolve, (a) => this.deps.bounds.refusalOf(a));
        if (!this.deps.limiter.take(address)) {
          this.deps.logger.warn('probe rate-limited', {
            event: 'probe',
            kind,
            nvr,
            port,
            caller,
            address,
            reason: 'RateLimited',
          });
          throw new RateLimitedError(`${nvr} (${address}) was probed too often; try again later`);
        }
        extra = await work(admission.target, address, admission.credentials);
        fields = { reason: 'Ok', message: 'reachable', address, latencyMs: Math.round(performance.now() - t0) };
      } catch (error) {
        if (!(error instanceof ProbeFailure)) throw error;
        fields = { reason: error.reason, message: error.message, ...(address ? { address } : {}) };
      }
    }
    const { message, ...outcome } = fields;
    const ticket = subject.ticket !== undefined ? { ticket: admission.admitted ? 'accepted' : 'refused' } : {};
    this.deps.logger.info('probe', {
      event: 'probe',
      kind,
      nvr,
      port,
      caller,
      node: this.deps.node,
      ...ticket,
      ...outcome,
      detail: message,
      ...extra,
    });
    return { outcome: { started, fields }, port };
  }
}
