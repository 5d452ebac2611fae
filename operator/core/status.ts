// What each object's status says, computed from the plan and the outcome of its reconcile; no I/O.
// Conditions follow kstatus (sigs.k8s.io/cli-utils): Ready, Reconciling while work is under way, Stalled on a
// terminal error, and a top-level observedGeneration that only a finished reconcile moves.
import type { Condition, FaceIdDevice, MediaNode, Nvr, School } from '../../crds/index.js';
import { setCondition, type ConditionInput } from './conditions.js';
import { nvrKey, schoolPlacement, type FleetPlan, type SchoolPlacement, type ShardPlan } from './plan.js';

/**
 * How a reconcile ended. `done` and `stalled` finish the generation (a stalled one reads as Failed, not as in
 * progress); `failed` (a transient error that retries) and `reconciling` leave observedGeneration behind.
 */
export type Outcome =
  | { kind: 'done'; ready: ConditionInput }
  | { kind: 'stalled'; ready: ConditionInput }
  | { kind: 'failed'; ready: ConditionInput }
  | { kind: 'reconciling'; reason: string; message: string };

interface ObservedStatus {
  conditions?: Condition[] | undefined;
  observedGeneration?: number | undefined;
}

/** The conditions and observedGeneration an outcome leaves on an object of `generation`. */
export function reconciledStatus(previous: ObservedStatus | undefined, outcome: Outcome, now: string, generation: number | undefined): { conditions: Condition[]; observedGeneration?: number } {
  let conditions = previous?.conditions ?? [];
  if (outcome.kind === 'reconciling') {
    conditions = setCondition(conditions, { type: 'Reconciling', status: 'True', reason: outcome.reason, message: outcome.message }, now, generation);
  } else {
    conditions = setCondition(conditions, outcome.ready, now, generation).filter((c) => c.type !== 'Reconciling');
    conditions =
      outcome.kind === 'stalled'
        ? setCondition(conditions, { ...outcome.ready, type: 'Stalled', status: 'True' }, now, generation)
        : conditions.filter((c) => c.type !== 'Stalled');
  }
  const finished = outcome.kind === 'done' || outcome.kind === 'stalled';
  const observedGeneration = finished ? generation : previous?.observedGeneration;
  return { conditions, ...(observedGeneration !== undefined ? { observedGeneration } : {}) };
}

const notReady = (reason: string, message: string): ConditionInput => ({ type: 'Ready', status: 'False', reason, message });

/** A School's outcome: left out by admission (stalled), served by a node, or waiting for one. */
export function schoolOutcome(school: School, plan: FleetPlan): Outcome {
  const name = school.metadata.name;
  const rejected = plan.rejected.get(`School/${name}`);
  if (rejected) return { kind: 'stalled', ready: notReady(rejected.reason, rejected.message) };
  const placement = schoolPlacement(school, plan);
  if (!placement.mediaNode) return { kind: 'done', ready: notReady('NoMediaNode', 'no active media node can serve the school') };
  return {
    kind: 'done',
    ready: {
      type: 'Ready',
      status: 'True',
      reason: plan.assignments.get(name)?.reason ?? 'Assigned',
      message: `served by ${placement.mediaNode}; the router must allow ${placement.allowlistIPs.join(', ')}`,
    },
  };
}

export interface SchoolTunnelStatus {
  status: Record<string, unknown>;
  condition: ConditionInput;
}

export function schoolStatus(school: School, plan: FleetPlan, tunnel: SchoolTunnelStatus | undefined, now: string) {
  const placement: SchoolPlacement = schoolPlacement(school, plan);
  const generation = school.metadata.generation;
  const previous = school.status?.conditions;
  const withTunnel = tunnel ? setCondition(previous, tunnel.condition, now, generation) : previous?.filter((c) => c.type !== 'TunnelConnected');
  return {
    ...placement,
    ...(tunnel ? { tunnel: tunnel.status } : {}),
    ...reconciledStatus({ ...school.status, conditions: withTunnel ?? [] }, schoolOutcome(school, plan), now, generation),
  };
}

/** An Nvr's outcome: left out by admission, without a school, not publishable through its tunnel, or published. */
export function nvrOutcome(nvr: Nvr, plan: FleetPlan, fleetNamespace: string): Outcome {
  const rejected = plan.rejected.get(`Nvr/${nvr.metadata.name}`);
  if (rejected) return { kind: 'stalled', ready: notReady(rejected.reason, rejected.message) };
  if (plan.orphanNvrs.has(nvrKey(nvr))) return { kind: 'done', ready: notReady('SchoolNotFound', `School ${nvr.spec.schoolRef} does not exist in ${fleetNamespace}`) };
  const node = plan.assignments.get(nvr.spec.schoolRef)?.node;
  if (!node) return { kind: 'done', ready: notReady('NoMediaNode', 'the school has no media node') };
  const problem = plan.shards.get(node)?.tunnel?.problems.find((p) => p.resource === `Nvr/${nvrKey(nvr)}`);
  if (problem) return { kind: 'done', ready: notReady(problem.reason, `not published: ${problem.message}`) };
  return { kind: 'done', ready: { type: 'Ready', status: 'True', reason: 'Published', message: `published by ${node}` } };
}

export function nvrStatus(nvr: Nvr, plan: FleetPlan, fleetNamespace: string, now: string) {
  const node = plan.assignments.get(nvr.spec.schoolRef)?.node;
  return {
    ...nvr.status,
    ...(node ? { mediaNode: node } : {}),
    cameraCount: node ? (plan.camerasByNvr.get(nvrKey(nvr)) ?? 0) : 0,
    ...reconciledStatus(nvr.status, nvrOutcome(nvr, plan, fleetNamespace), now, nvr.metadata.generation),
  };
}

export interface NodeTunnelStatus {
  publicKey: string;
  endpoint: string;
  address: string;
  peers: number;
  stalePeers: number;
}

/** A MediaNode's status after a reconcile of its shard; counts and hash describe what the node was last given. */
export function mediaNodeStatus(node: MediaNode, shard: ShardPlan, outcome: Outcome, applied: { configMapName: string; hash?: string; tunnel?: NodeTunnelStatus }, now: string) {
  return {
    ...node.status,
    schoolCount: shard.schools.length,
    cameraCount: shard.cameraCount,
    configMapName: applied.configMapName,
    ...(applied.hash ? { configHash: applied.hash } : {}),
    ...(applied.tunnel ? { tunnel: applied.tunnel } : {}),
    ...reconciledStatus(node.status, outcome, now, node.metadata.generation),
  };
}

/** A FaceIdDevice is Ready when its School exists and the signing Secret it names (if any) holds a value. */
export function faceIdDeviceOutcome(device: FaceIdDevice, schoolExists: boolean, secretResolvable: boolean, fleetNamespace: string): Outcome {
  if (!schoolExists) return { kind: 'done', ready: notReady('SchoolNotFound', `School ${device.spec.schoolRef} does not exist in ${fleetNamespace}`) };
  const secret = device.spec.webhookSecretRef?.name;
  if (secret && !secretResolvable) return { kind: 'done', ready: notReady('SecretNotFound', `Secret ${secret} not found in ${fleetNamespace} or empty`) };
  return { kind: 'done', ready: { type: 'Ready', status: 'True', reason: 'Resolved', message: secret ? `school ${device.spec.schoolRef}, signing secret ${secret}` : `school ${device.spec.schoolRef}` } };
}

/** Only the fields the operator owns: lastEventAt and provisioned are written by others and left alone. */
export function faceIdDeviceStatus(device: FaceIdDevice, outcome: Outcome, now: string) {
  return reconciledStatus(device.status, outcome, now, device.metadata.generation);
}
