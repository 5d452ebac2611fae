// What changed since the last plan: a change dirties the old and the new shard of what it touches, nothing else.
import type { Nvr } from '../../crds/index.js';
import type { FleetPlan } from '../core/plan.js';

export type DirtyKind = 'School' | 'Nvr' | 'MediaNode' | 'Secret' | 'FaceIdDevice';

export interface Dirty {
  /** Replan every shard: nodes changed, a resync, a forced run, the first plan, or a plan that failed. */
  all: boolean;
  schools: Set<string>;
  /** Whether a School object itself changed, not only an NVR of it: only then may assignments move. */
  schoolsEdited: boolean;
  nvrs: Set<string>;
  secrets: Set<string>;
  faceIdDevices: Set<string>;
}

const fresh = (all: boolean): Dirty => ({ all, schools: new Set(), schoolsEdited: false, nvrs: new Set(), secrets: new Set(), faceIdDevices: new Set() });

export class DirtyTracker {
  private dirty = fresh(true);

  mark(kind: DirtyKind, name: string, nvr?: Nvr): void {
    // A full plan reads no set: the tens of thousands of objects a cold start lists add nothing to it.
    if (this.dirty.all) return;
    if (kind === 'MediaNode') this.dirty.all = true;
    else if (kind === 'School') {
      this.dirty.schools.add(name);
      this.dirty.schoolsEdited = true;
    }
    else if (kind === 'Secret') this.dirty.secrets.add(name);
    else if (kind === 'FaceIdDevice') this.dirty.faceIdDevices.add(name);
    else {
      this.dirty.nvrs.add(name);
      if (nvr) this.dirty.schools.add(nvr.spec.schoolRef);
    }
  }

  markAll(): void {
    this.dirty.all = true;
  }

  /** Hands the changes to a plan and starts afresh; a plan that fails calls markAll, so nothing is lost. */
  take(): Dirty {
    const taken = this.dirty;
    this.dirty = fresh(false);
    return taken;
  }
}

/**
 * The shards an incremental plan must rewrite, widening `dirty` in place: NVRs whose Secret changed, schools that
 * bounded load moved although nobody edited them, and both the old and the new shard of each.
 */
export function touchedShards(dirty: Dirty, plan: FleetPlan, previous: FleetPlan, nvrs: readonly Nvr[]): Set<string> {
  if (dirty.secrets.size > 0) {
    for (const nvr of nvrs) {
      if (!dirty.secrets.has(nvr.spec.credentialsSecretRef.name)) continue;
      dirty.nvrs.add(nvr.metadata.name);
      dirty.schools.add(nvr.spec.schoolRef);
    }
  }
  const touched = new Set<string>();
  for (const [school, assignment] of plan.assignments) {
    const before = previous.assignments.get(school)?.node;
    if (before === assignment.node && !dirty.schools.has(school)) continue;
    dirty.schools.add(school);
    if (before) touched.add(before);
    if (assignment.node) touched.add(assignment.node);
  }
  for (const school of dirty.schools) {
    const before = previous.assignments.get(school)?.node;
    if (before && !plan.assignments.has(school)) touched.add(before);
  }
  return touched;
}
