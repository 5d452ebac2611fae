// Status of School, Nvr and FaceIdDevice: load from the cache → compute from the plan (pure) → write if changed.
import type { V1Secret } from '@kubernetes/client-node';
import type { Condition, FaceIdDevice, Nvr, School } from '../../crds/index.js';
import { sameStatus, type ConditionInput } from '../core/conditions.js';
import type { FleetPlan } from '../core/plan.js';
import { faceIdDeviceOutcome, faceIdDeviceStatus, nvrOutcome, nvrStatus, reconciledStatus, schoolOutcome, schoolStatus, type Outcome, type SchoolTunnelStatus } from '../core/status.js';
import { tunnelCondition } from '../tunnel/health.js';
import type { ClusterWriter, FleetKind } from './cluster-writer.js';
import type { TunnelShell } from './tunnel.js';

export interface StatusReconcilerDeps {
  writer: ClusterWriter;
  tunnel: TunnelShell;
  fleetNamespace: string;
  plan(): FleetPlan | undefined;
  school(name: string): School | undefined;
  nvr(name: string): Nvr | undefined;
  faceIdDevice(name: string): FaceIdDevice | undefined;
  secret(name: string): V1Secret | undefined;
  /** The public key of a tunnel node, once its tunnel was applied. */
  tunnelKey(node: string): string | undefined;
}

export class StatusReconciler {
  private constructor(private readonly deps: StatusReconcilerDeps) {}

  static create(deps: StatusReconcilerDeps): StatusReconciler {
    return new StatusReconciler(deps);
  }

  /**
   * Reconciling=True on a School or Nvr whose new generation waits for its shard to be applied, so kstatus reads it
   * as in progress until `reconcile` writes the finished status (which drops the condition and moves observedGeneration).
   */
  async markReconciling(key: string): Promise<void> {
    const [kind, name] = key.split('/') as [FleetKind, string];
    const object = kind === 'School' ? this.deps.school(name) : kind === 'Nvr' ? this.deps.nvr(name) : undefined;
    const generation = object?.metadata.generation;
    if (!object || generation === undefined || object.status?.observedGeneration === generation) return;
    if (object.status?.conditions?.some((c) => c.type === 'Reconciling' && c.status === 'True' && c.observedGeneration === generation)) return;
    const { conditions } = reconciledStatus(object.status, { kind: 'reconciling', reason: 'Progressing', message: `applying generation ${generation}` }, new Date().toISOString(), generation);
    await this.deps.writer.patchStatus(kind, name, { conditions });
  }

  /** Writes the status of `School/<name>`, `Nvr/<name>` or `FaceIdDevice/<name>` when it differs from the live one. */
  async reconcile(key: string): Promise<void> {
    const plan = this.deps.plan();
    if (!plan) return;
    const [kind, name] = key.split('/') as [FleetKind, string];
    const now = new Date().toISOString();
    if (kind === 'School') {
      const school = this.deps.school(name);
      if (!school) return;
      const status = schoolStatus(school, plan, this.schoolTunnel(school, plan), now);
      if (sameStatus(status, school.status)) return;
      await this.deps.writer.patchStatus('School', name, status);
      const moved = school.status?.mediaNode !== status.mediaNode ? status.mediaNode : undefined;
      if (moved) await this.deps.writer.event('School', name, 'Normal', 'Assigned', `now served by media node ${moved}`);
      await this.announce('School', name, school.status?.conditions, schoolOutcome(school, plan));
    } else if (kind === 'Nvr') {
      const nvr = this.deps.nvr(name);
      if (!nvr) return;
      const status = nvrStatus(nvr, plan, this.deps.fleetNamespace, now);
      if (sameStatus(status, nvr.status)) return;
      await this.deps.writer.patchStatus('Nvr', name, status, nvr.metadata.resourceVersion);
      await this.announce('Nvr', name, nvr.status?.conditions, nvrOutcome(nvr, plan, this.deps.fleetNamespace));
    } else if (kind === 'FaceIdDevice') {
      const device = this.deps.faceIdDevice(name);
      if (!device) return;
      const secretName = device.spec.webhookSecretRef?.name;
      const secret = secretName ? this.deps.secret(secretName) : undefined;
      const resolvable = Boolean(secret?.data && Object.values(secret.data).some(Boolean));
      const outcome = faceIdDeviceOutcome(device, Boolean(this.deps.school(device.spec.schoolRef)), resolvable, this.deps.fleetNamespace);
      const status = faceIdDeviceStatus(device, outcome, now);
      if (sameStatus(status, { conditions: device.status?.conditions, observedGeneration: device.status?.observedGeneration })) return;
      await this.deps.writer.patchStatus('FaceIdDevice', name, status);
      await this.announce('FaceIdDevice', name, device.status?.conditions, outcome);
    }
  }

  /** A tunnel school's status: where its gateway connects, the node's key and the latest handshake the node saw. */
  private schoolTunnel(school: School, plan: FleetPlan): SchoolTunnelStatus | undefined {
    const node = plan.assignments.get(school.metadata.name)?.node;
    const shard = node ? plan.shards.get(node) : undefined;
    const peer = shard?.tunnel?.peers.find((p) => p.school === school.metadata.name);
    const nodeKey = node ? this.deps.tunnelKey(node) : undefined;
    if (!node || !shard?.tunnel || !peer || !nodeKey) return undefined;
    const seen = this.deps.tunnel.handshake(school.metadata.name);
    const latest = seen?.node === node ? seen.latestHandshake : undefined;
    return {
      status: { mediaNode: node, address: peer.address, endpoint: shard.tunnel.endpoint, nodePublicKey: nodeKey, ...(latest ? { lastHandshake: latest.toISOString() } : {}) },
      condition: tunnelCondition(latest, new Date()),
    };
  }

  /** An Event when readiness flips. */
  private async announce(kind: FleetKind, name: string, before: Condition[] | undefined, outcome: Outcome): Promise<void> {
    if (outcome.kind === 'reconciling') return;
    const ready: ConditionInput = outcome.ready;
    const previous = before?.find((c) => c.type === 'Ready');
    if (previous?.reason === ready.reason && previous?.status === ready.status) return;
    await this.deps.writer.event(kind, name, ready.status === 'True' ? 'Normal' : 'Warning', ready.reason, ready.message);
  }
}
