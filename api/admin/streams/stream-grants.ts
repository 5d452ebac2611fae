// A stream grant: the camera's own media node's WHEP and HLS URLs and a viewer token for that one camera.
import { ConflictError, NotFoundError } from '../../../lib/errors/index.js';
import { actorOf, authorize, type Principal } from '../access.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { FleetView } from '../fleet-view/fleet-view.js';
import type { ViewerKeys } from './viewer-keys.js';

export interface StreamGrant {
  cameraId: string;
  mediaNode: string;
  whepUrl: string;
  hlsUrl: string;
  token: string;
  expiresAt: string;
}

const join = (base: string, path: string) => `${base.replace(/\/+$/, '')}/${path}`;

export class StreamGrants {
  private constructor(
    private readonly fleet: FleetView,
    private readonly keys: ViewerKeys,
    private readonly audit: AuditLog,
  ) {}

  static create(deps: { fleet: FleetView; keys: ViewerKeys; audit: AuditLog }): StreamGrants {
    return new StreamGrants(deps.fleet, deps.keys, deps.audit);
  }

  async grant(principal: Principal, cameraId: string, requestId: string): Promise<StreamGrant> {
    const schoolId = cameraId.split('.')[0]!;
    authorize(principal, 'stream:watch', schoolId);
    const camera = this.fleet.camera(cameraId);
    if (!camera) throw new NotFoundError('cameraId', `no camera ${cameraId}`);
    const nodeId = this.fleet.school(schoolId)?.mediaNode;
    const node = nodeId ? this.fleet.node(nodeId) : undefined;
    if (!node) throw new ConflictError('cameraId', `school ${schoolId} has no media node serving it`);
    const { token, expiresAt } = await this.keys.sign(principal.accountId, camera.paths, node.id);
    // Taken into the next group commit, not waited for; throws (503) before the token leaves while the log is
    // failing or full (docs/adr/0008-audit-commits.md).
    this.audit.enqueue({
      ...actorOf(principal),
      schoolId,
      requestId,
      action: 'stream.token',
      params: { cameraId, mediaNode: node.id, expiresAt: expiresAt.toISOString() },
      result: 'ok',
    });
    return {
      cameraId,
      mediaNode: node.id,
      whepUrl: join(node.webrtcBaseUrl, `${camera.webrtcPath}/whep`),
      hlsUrl: join(node.hlsBaseUrl, `${camera.view.path}/index.m3u8`),
      token,
      expiresAt: expiresAt.toISOString(),
    };
  }
}
