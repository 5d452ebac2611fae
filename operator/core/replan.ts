// The plan after edits of NVRs alone, without planning the whole fleet again: what an NVR edit costs.
import type { Nvr, School } from '../../crds/index.js';
import { admitFleet, type AdmissionOptions } from './admission.js';
import { publishedCameras, type Fleet } from './fleet.js';
import type { ShardMember } from './mediamtx.js';
import { nvrKey, type FleetPlan, type ShardPlan } from './plan.js';
import { planNodeTunnel } from './tunnel.js';

/**
 * The same plan `planFleet(input)` gives, when `input` differs from the fleet `previous` was planned from only in
 * the NVRs named in `changedNvrs` (edited, added or deleted). Assignments depend on nodes, schools and each school's
 * camera count alone, so while those stay they stay too, and only the shards of the touched schools are rebuilt.
 * Undefined when that does not hold (a camera count changed, a touched shard has a tunnel, an NVR unseen before):
 * the caller then plans the whole fleet.
 */
export function replanNvrs(previous: FleetPlan, input: Fleet, changedNvrs: ReadonlySet<string>, admission: AdmissionOptions = {}): FleetPlan | undefined {
  if (changedNvrs.size === 0) return previous;
  const before = new Map<string, { nvr: Nvr; node: string }>();
  for (const [node, shard] of previous.shards) {
    for (const { nvr } of shard.members) if (changedNvrs.has(nvr.metadata.name)) before.set(nvr.metadata.name, { nvr, node });
  }
  const after = input.nvrs.filter((nvr) => changedNvrs.has(nvr.metadata.name));
  // An NVR that was orphaned or left out by admission before has no member entry to compare with.
  for (const name of changedNvrs) if (!before.has(name)) return undefined;

  const schoolsByName = new Map<string, School>();
  for (const school of input.schools) if (!previous.rejected.has(`School/${school.metadata.name}`)) schoolsByName.set(school.metadata.name, school);
  const touchedSchools = new Set([...before.values()].map(({ nvr }) => nvr.spec.schoolRef));
  for (const nvr of after) touchedSchools.add(nvr.spec.schoolRef);
  const { fleet, rejected: newlyRejected } = admitFleet({ nodes: [], schools: [], nvrs: input.nvrs.filter((nvr) => touchedSchools.has(nvr.spec.schoolRef)) }, admission);
  const membersBySchool = new Map<string, ShardMember[]>([...touchedSchools].map((school) => [school, []]));
  for (const nvr of fleet.nvrs) if (schoolsByName.has(nvr.spec.schoolRef)) membersBySchool.get(nvr.spec.schoolRef)!.push({ nvr, cameras: publishedCameras(nvr) });
  for (const [school, members] of membersBySchool) {
    if (!schoolsByName.has(school)) continue;
    // planFleet counts a school's cameras only while it has NVRs; an emptied or a first-filled school replans.
    if (members.length === 0 || !previous.camerasBySchool.has(school)) return undefined;
    const cameras = members.reduce((sum, m) => sum + m.cameras.length, 0);
    if (cameras !== (previous.camerasBySchool.get(school) ?? 0)) return undefined;
    members.sort((a, b) => (nvrKey(a.nvr) < nvrKey(b.nvr) ? -1 : 1));
  }

  const touchedNodes = new Set<string>();
  for (const school of touchedSchools) {
    const node = previous.assignments.get(school)?.node;
    if (node) touchedNodes.add(node);
  }
  const shards = new Map(previous.shards);
  for (const node of touchedNodes) {
    const shard = previous.shards.get(node)!;
    if (shard.tunnel) return undefined;
    shards.set(node, rebuildShard(shard, membersBySchool, schoolsByName));
  }

  const orphanNvrs = new Set(previous.orphanNvrs);
  const camerasByNvr = new Map(previous.camerasByNvr);
  const rejected = new Map(previous.rejected);
  for (const { nvr } of before.values()) {
    camerasByNvr.delete(nvrKey(nvr));
    rejected.delete(`Nvr/${nvr.metadata.name}`);
  }
  for (const [key, rejection] of newlyRejected) if (changedNvrs.has(key.slice('Nvr/'.length))) rejected.set(key, rejection);
  for (const nvr of fleet.nvrs) {
    if (!changedNvrs.has(nvr.metadata.name)) continue;
    if (schoolsByName.has(nvr.spec.schoolRef)) camerasByNvr.set(nvrKey(nvr), publishedCameras(nvr).length);
    else orphanNvrs.add(nvrKey(nvr));
  }
  return { assignments: previous.assignments, shards, orphanNvrs, camerasByNvr, camerasBySchool: previous.camerasBySchool, rejected };
}

/** A shard with the members of its touched schools replaced, in the order planFleet gives: by school, then NVR. */
function rebuildShard(shard: ShardPlan, membersBySchool: ReadonlyMap<string, ShardMember[]>, schoolsByName: ReadonlyMap<string, School>): ShardPlan {
  const kept = new Map<string, ShardMember[]>();
  for (const member of shard.members) {
    const school = member.nvr.spec.schoolRef;
    if (!membersBySchool.has(school)) kept.set(school, [...(kept.get(school) ?? []), member]);
  }
  const members = shard.schools.flatMap((school) => membersBySchool.get(school) ?? kept.get(school) ?? []);
  const planned = planNodeTunnel(shard.node, shard.schools.map((s) => schoolsByName.get(s)!), members);
  return { node: shard.node, schools: shard.schools, members: planned.members, cameraCount: shard.cameraCount, ...(planned.tunnel ? { tunnel: planned.tunnel } : {}) };
}
