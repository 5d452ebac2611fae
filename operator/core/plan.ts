// The whole fleet in, the desired shards out: the one function both the operator and `gitops render` call.
import type { MediaNode, Nvr, School } from '../../crds/index.js';
import { admitFleet, type AdmissionOptions, type Rejection } from './admission.js';
import { assignShards, DEFAULT_ASSIGN_OPTIONS, type AssignOptions, type Assignment } from './assign.js';
import { publishedCameras, type Fleet } from './fleet.js';
import type { ShardMember } from './mediamtx.js';
import { planNodeTunnel, type NodeTunnel } from './tunnel.js';

export interface ShardPlan {
  node: MediaNode;
  schools: string[];
  members: ShardMember[];
  cameraCount: number;
  /** WireGuard peers and routes, when the node serves a tunnel-mode school or NVR. */
  tunnel?: NodeTunnel;
}

export interface FleetPlan {
  assignments: Map<string, Assignment>;
  shards: Map<string, ShardPlan>;
  /** NVRs whose School does not exist, by `namespace/name`. */
  orphanNvrs: Set<string>;
  /** Cameras each NVR publishes, by `namespace/name`. */
  camerasByNvr: Map<string, number>;
  camerasBySchool: Map<string, number>;
  /** Objects admission left out of the plan, by `School/<name>` and `Nvr/<name>`. */
  rejected: Map<string, Rejection>;
}

export const nvrKey = (nvr: Nvr): string => `${nvr.metadata.namespace ?? ''}/${nvr.metadata.name}`;

/** The order of `nvrKey`, without building the keys. */
function byNvrKey(a: ShardMember, b: ShardMember): number {
  const [x, y] = [a.nvr.metadata, b.nvr.metadata];
  const [nx, ny] = [x.namespace ?? '', y.namespace ?? ''];
  if (nx !== ny) return nvrKey(a.nvr) < nvrKey(b.nvr) ? -1 : 1;
  return x.name < y.name ? -1 : x.name > y.name ? 1 : 0;
}

/** Plans over the admitted fleet only, so every shell leaves out the same objects for the same reasons. */
export function planFleet(input: Fleet, options: AssignOptions = DEFAULT_ASSIGN_OPTIONS, admission: AdmissionOptions = {}): FleetPlan {
  const { fleet, rejected } = admitFleet(input, admission);
  const schoolNames = new Set(fleet.schools.map((s) => s.metadata.name));
  const nvrsBySchool = new Map<string, ShardMember[]>();
  const camerasBySchool = new Map<string, number>();
  const orphanNvrs = new Set<string>();
  const camerasByNvr = new Map<string, number>();
  for (const nvr of fleet.nvrs) {
    const school = nvr.spec.schoolRef;
    if (!schoolNames.has(school)) {
      orphanNvrs.add(nvrKey(nvr));
      continue;
    }
    const cameras = publishedCameras(nvr);
    camerasByNvr.set(nvrKey(nvr), cameras.length);
    const members = nvrsBySchool.get(school);
    if (members) members.push({ nvr, cameras });
    else nvrsBySchool.set(school, [{ nvr, cameras }]);
    camerasBySchool.set(school, (camerasBySchool.get(school) ?? 0) + cameras.length);
  }
  const assignments = assignShards({ nodes: fleet.nodes, schools: fleet.schools, cameras: camerasBySchool }, options);
  const shards = new Map<string, ShardPlan>(
    [...fleet.nodes]
      .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))
      .map((node) => [node.metadata.name, { node, schools: [], members: [], cameraCount: 0 }]),
  );
  for (const school of [...schoolNames].sort()) {
    const node = assignments.get(school)?.node;
    const shard = node ? shards.get(node) : undefined;
    if (!shard) continue;
    shard.schools.push(school);
    const members = (nvrsBySchool.get(school) ?? []).sort(byNvrKey);
    shard.members.push(...members);
    shard.cameraCount += camerasBySchool.get(school) ?? 0;
  }
  const schoolsByName = new Map(fleet.schools.map((s) => [s.metadata.name, s]));
  for (const shard of shards.values()) {
    // Tunnel NVRs that cannot be routed to their own school alone are left out of the MediaMTX config.
    const { tunnel, members } = planNodeTunnel(shard.node, shard.schools.map((s) => schoolsByName.get(s)!), shard.members);
    if (tunnel) {
      shard.tunnel = tunnel;
      shard.members = members;
    }
  }
  return { assignments, shards, orphanNvrs, camerasByNvr, camerasBySchool, rejected };
}

export interface SchoolPlacement {
  mediaNode?: string;
  allowlistIPs: string[];
  webrtcBaseUrl?: string;
  hlsBaseUrl?: string;
  cameraCount: number;
  /** Where a tunnel-mode school's gateway connects. */
  tunnel?: { mediaNode: string; address: string; endpoint: string };
}

/** What a school's status says about where it is served and what its router must allow. */
export function schoolPlacement(school: School, plan: FleetPlan): SchoolPlacement {
  const node = plan.assignments.get(school.metadata.name)?.node;
  const shard = node ? plan.shards.get(node) : undefined;
  const cameraCount = plan.camerasBySchool.get(school.metadata.name) ?? 0;
  if (!shard) return { allowlistIPs: [], cameraCount };
  return {
    mediaNode: shard.node.metadata.name,
    allowlistIPs: [...shard.node.spec.egressIPs].sort(),
    webrtcBaseUrl: shard.node.spec.webrtcBaseUrl,
    hlsBaseUrl: shard.node.spec.hlsBaseUrl,
    cameraCount,
    ...tunnelPlacement(school, shard),
  };
}

function tunnelPlacement(school: School, shard: ShardPlan): Pick<SchoolPlacement, 'tunnel'> {
  const peer = shard.tunnel?.peers.find((p) => p.school === school.metadata.name);
  return peer && shard.tunnel ? { tunnel: { mediaNode: shard.node.metadata.name, address: peer.address, endpoint: shard.tunnel.endpoint } } : {};
}
