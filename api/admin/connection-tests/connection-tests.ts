// "Test connection": a probe of an NVR from the sidecar of the media node that serves its school, because the school's
// router admits only that node. Merged NVRs are in the node's allowlist; a proposed one goes under a signed ticket.
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { ProbeClient, ProbeClientError } from '../../../lib/probe-protocol/client.js';
import { refusalOf } from '../../../lib/devices/address-guard.js';
import { TokenBucketLimiter, type RateLimit } from '../../../lib/rate/token-bucket.js';
import type { ProbeResult } from '../../../lib/devices/result.js';
import { MAX_TICKET_SECONDS, PROPOSED_PREFIX, signProbeTicket } from '../../../lib/probe-protocol/ticket.js';
import { ConflictError, InputError, NotFoundError, TooManyRequestsError, UnavailableError } from '../../../lib/errors/index.js';
import { actorOf, authorize, reaches, type Principal } from '../access.js';
import type { AuditLog, AuditRecord } from '../audit/audit-log.js';
import type { FleetView } from '../fleet-view/fleet-view.js';
import { FLEET_NAMESPACE } from '../../../crds/index.js';

export type ProbeKind = 'tcp' | 'rtsp' | 'onvif';

/** How the API reaches the sidecars: their URL per node, the bearer token, and the key that signs tickets. */
export interface ProbeAccess {
  urlFor(node: string): string;
  token(): Promise<string>;
  /** Signs tickets for proposed NVRs; without it only merged NVRs can be tested. */
  ticketKey?: Buffer;
  /** Upper bound for one call to a sidecar. */
  requestTimeoutMs?: number;
}

export interface NvrTestRequest {
  kind: ProbeKind;
  port?: number | undefined;
  path?: string | undefined;
}

export interface ProposedTestRequest extends NvrTestRequest {
  host: string;
  rtspPort: number;
  onvifPort?: number | undefined;
  /** Used for this one probe and dropped: never stored, logged or put in the ticket. */
  credentials?: { username: string; password: string } | undefined;
}

/** A ticket lives one minute: long enough for one probe, short enough that a leaked one is worth nothing. */
const TICKET_SECONDS = 60;

export class ConnectionTests {
  private readonly limiter: TokenBucketLimiter;

  private constructor(
    private readonly fleet: FleetView,
    private readonly audit: AuditLog,
    private readonly probe: ProbeAccess | undefined,
    rate: RateLimit,
    private readonly now: () => Date,
  ) {
    this.limiter = new TokenBucketLimiter(rate, () => this.now().getTime());
  }

  static create(deps: { fleet: FleetView; audit: AuditLog; probe?: ProbeAccess | undefined; rate: RateLimit; now?: () => Date }): ConnectionTests {
    return new ConnectionTests(deps.fleet, deps.audit, deps.probe, deps.rate, deps.now ?? (() => new Date()));
  }

  /** Probes a merged NVR from its node; an NVR outside the caller's scope answers as absent. */
  async testNvr(principal: Principal, nvrId: string, request: NvrTestRequest, requestId: string): Promise<ProbeResult> {
    const nvr = this.fleet.nvr(nvrId);
    const target = this.fleet.probeTargetOf(nvrId);
    if (!nvr || !target || !reaches(principal, nvr.schoolId)) throw new NotFoundError('nvrId', `no NVR ${nvrId}`);
    authorize(principal, 'nvr:test', nvr.schoolId);
    const node = nvr.mediaNode;
    if (!node) throw new ConflictError('nvrId', `no media node serves school ${nvr.schoolId} yet`);
    const port = request.kind === 'tcp' ? (request.port ?? target.rtspPort) : request.kind === 'rtsp' ? request.port : target.onvifPort;
    const audit = { principal, requestId, schoolId: nvr.schoolId, action: 'nvr.test-connection', params: { nvrId, kind: request.kind, port: port ?? null, node } };
    return this.run(audit, node, (client) => {
      if (request.kind === 'tcp') return client.tcp(target.key, port!);
      if (request.kind === 'rtsp') return client.rtsp(target.key, { ...(request.port ? { port: request.port } : {}), ...(request.path ? { path: request.path } : {}) });
      return client.onvif(target.key);
    });
  }

  /**
   * Probes an NVR an agent or a school admin is about to propose, from the node serving the school now: that node's
   * egress IP is the one the school's router admits. The node probes it only under a ticket signed here.
   */
  async testProposed(principal: Principal, schoolId: string, request: ProposedTestRequest, requestId: string): Promise<ProbeResult> {
    authorize(principal, 'nvr:test', schoolId);
    const school = this.fleet.school(schoolId);
    if (!school) throw new NotFoundError('schoolId', `no school ${schoolId}`);
    const node = school.mediaNode;
    if (!node) throw new ConflictError('schoolId', `no media node serves school ${schoolId} yet`);
    // A literal private address is refused here already; a name is checked by the sidecar after it resolves it.
    const bare = request.host.replace(/^\[|\]$/g, '');
    const refusal = isIP(bare) ? refusalOf(bare) : undefined;
    if (refusal) throw new InputError('host', `${request.host} is a ${refusal} address; only a public address can be probed`);
    // A media node's egress IP is public but is the fleet itself; its sidecar refuses it too, and names after resolving.
    const fleetNode = isIP(bare) ? this.fleet.nodes().find((n) => n.egressIPs.includes(bare)) : undefined;
    if (fleetNode) throw new InputError('host', `${request.host} is the egress address of media node ${fleetNode.id}; media nodes are never probed`);
    const ports = [...new Set([request.rtspPort, ...(request.onvifPort !== undefined ? [request.onvifPort] : [])])].sort((a, b) => a - b);
    const port = request.kind === 'tcp' ? (request.port ?? request.rtspPort) : request.kind === 'rtsp' ? (request.port ?? request.rtspPort) : request.onvifPort;
    if (request.kind === 'onvif' && port === undefined) throw new InputError('onvifPort', 'required for an ONVIF test');
    if (port !== undefined && !ports.includes(port)) throw new InputError('port', `must be the rtspPort or the onvifPort`);
    const namespace = this.fleet.namespaceOf(schoolId) ?? FLEET_NAMESPACE;
    // Named after the host, so the sidecar's per-NVR rate limit holds however often a caller re-proposes it.
    const nvr = `${namespace}/${PROPOSED_PREFIX}${createHash('sha256').update(request.host.toLowerCase()).digest('hex').slice(0, 12)}`;
    const audit = {
      principal,
      requestId,
      schoolId,
      action: 'nvr.test-proposed',
      params: { host: request.host, kind: request.kind, port: port ?? null, node, nvr, withLogin: request.credentials !== undefined },
    };
    const key = this.probe?.ticketKey;
    if (this.probe && !key) throw new UnavailableError('proposed NVRs cannot be tested: no probe ticket key is configured (POSBON_PROBE_TICKET_KEY)');
    return this.run(audit, node, (client) => {
      const exp = Math.floor(this.now().getTime() / 1000) + Math.min(TICKET_SECONDS, MAX_TICKET_SECONDS);
      const ticket = signProbeTicket(key!, {
        nvr,
        host: request.host,
        ports,
        rtspPort: request.rtspPort,
        ...(request.onvifPort !== undefined ? { onvifPort: request.onvifPort } : {}),
        node,
        exp,
      });
      const proposed = { ticket, ...(request.credentials ? { credentials: request.credentials } : {}) };
      if (request.kind === 'tcp') return client.tcp(nvr, port!, { ticket });
      if (request.kind === 'rtsp') return client.rtsp(nvr, { port: port!, ...(request.path ? { path: request.path } : {}), ...proposed });
      return client.onvif(nvr, proposed);
    });
  }

  /** Rate limit per school, the probe, and one audit entry whatever happens. */
  private async run(
    audit: { principal: Principal; requestId: string; schoolId: string; action: string; params: Record<string, unknown> },
    node: string,
    probe: (client: ProbeClient) => Promise<ProbeResult>,
  ): Promise<ProbeResult> {
    const record = (result: string, extra: Record<string, unknown> = {}) => {
      const entry: AuditRecord = {
        ...actorOf(audit.principal),
        schoolId: audit.schoolId,
        requestId: audit.requestId,
        action: audit.action,
        params: { ...audit.params, ...extra },
        result,
      };
      return this.audit.record(entry);
    };
    if (!this.probe) {
      await record('unavailable');
      throw new UnavailableError('connection tests are off: no probe sidecar token is configured (POSBON_PROBE_TOKEN)');
    }
    if (!this.limiter.take(audit.schoolId)) {
      await record('rate-limited');
      throw new TooManyRequestsError(`school ${audit.schoolId}: too many connection tests, try again in a minute`);
    }
    const client = ProbeClient.create({
      baseUrl: this.probe.urlFor(node),
      token: await this.probe.token(),
      caller: `api:${audit.principal.username}`,
      requestTimeoutMs: this.probe.requestTimeoutMs ?? 65_000,
    });
    let result: ProbeResult;
    try {
      result = await probe(client);
    } catch (error) {
      if (!(error instanceof ProbeClientError)) throw error;
      await record(`probe:${error.code}`);
      if (error.code === 'RateLimited') throw new TooManyRequestsError(`the node ${node} probed this NVR too often; try again in a minute`);
      if (error.code === 'InvalidInput') throw new InputError('body', error.message);
      throw new UnavailableError(`the probe sidecar of node ${node} could not run the test (${error.code})`);
    }
    await record(result.reason, result.latencyMs !== undefined ? { latencyMs: result.latencyMs } : {});
    return result;
  }
}
