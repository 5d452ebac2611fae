import { mediaNode, nvr, school } from '../../test/fixtures/fleet.js';
import { planFleet } from '../core/plan.js';
import { DirtyTracker, touchedShards } from './dirty.js';

const nodes = [mediaNode('fsn1-a'), mediaNode('fsn1-b', {}, 2)];
const schools = [school('s1', { mediaNodeRef: 'fsn1-a' }), school('s2', { mediaNodeRef: 'fsn1-b' })];
const nvrs = [nvr('s1-gate', 's1', 2), nvr('s2-yard', 's2', 1)];

describe('DirtyTracker', () => {
  it('starts dirty as a whole, so the first plan is a full one', () => {
    expect(new DirtyTracker().take().all).toBe(true);
  });

  it('records an NVR and its school, a Secret, a device, and hands them over once', () => {
    const tracker = new DirtyTracker();
    tracker.take();
    tracker.mark('Nvr', 's1-gate', nvrs[0]);
    tracker.mark('Secret', 'creds');
    tracker.mark('FaceIdDevice', 'door-1');
    const taken = tracker.take();
    expect([taken.all, [...taken.nvrs], [...taken.schools], [...taken.secrets], [...taken.faceIdDevices]]).toEqual([false, ['s1-gate'], ['s1'], ['creds'], ['door-1']]);
    expect(tracker.take()).toEqual({ all: false, schools: new Set(), schoolsEdited: false, nvrs: new Set(), secrets: new Set(), faceIdDevices: new Set() });
  });

  it('turns any MediaNode change, and a failed plan, into a full replan', () => {
    const tracker = new DirtyTracker();
    tracker.take();
    tracker.mark('MediaNode', 'fsn1-a');
    expect(tracker.take().all).toBe(true);
    tracker.markAll();
    expect(tracker.take().all).toBe(true);
  });

  it('keeps no names while a full replan is pending (a cold start lists tens of thousands), and records again after it', () => {
    const tracker = new DirtyTracker();
    tracker.mark('Nvr', 's1-gate', nvrs[0]);
    tracker.mark('School', 's2');
    tracker.mark('Secret', 'creds');
    expect(tracker.take()).toEqual({ all: true, schools: new Set(), schoolsEdited: false, nvrs: new Set(), secrets: new Set(), faceIdDevices: new Set() });
    tracker.mark('School', 's2');
    expect([...tracker.take().schools]).toEqual(['s2']);
  });
});

describe('touchedShards', () => {
  const previous = planFleet({ nodes, schools, nvrs });

  it('rewrites only the shard of the edited NVR', () => {
    const tracker = new DirtyTracker();
    tracker.take();
    tracker.mark('Nvr', 's2-yard', nvrs[1]);
    expect([...touchedShards(tracker.take(), planFleet({ nodes, schools, nvrs }), previous, nvrs)]).toEqual(['fsn1-b']);
  });

  it('rewrites the shards of NVRs whose credentials Secret changed', () => {
    const tracker = new DirtyTracker();
    tracker.take();
    tracker.mark('Secret', nvrs[0]!.spec.credentialsSecretRef.name);
    const dirty = tracker.take();
    expect([...touchedShards(dirty, planFleet({ nodes, schools, nvrs }), previous, nvrs)]).toEqual(['fsn1-a']);
    expect([...dirty.nvrs]).toEqual(['s1-gate']);
  });

  it('rewrites both the old and the new shard of a school that moved', () => {
    const moved = [school('s1', { mediaNodeRef: 'fsn1-b' }), schools[1]!];
    const tracker = new DirtyTracker();
    tracker.take();
    tracker.mark('School', 's1');
    expect([...touchedShards(tracker.take(), planFleet({ nodes, schools: moved, nvrs }), previous, nvrs)].sort()).toEqual(['fsn1-a', 'fsn1-b']);
  });

  it('rewrites the shard a deleted school leaves', () => {
    const tracker = new DirtyTracker();
    tracker.take();
    tracker.mark('School', 's2');
    expect([...touchedShards(tracker.take(), planFleet({ nodes, schools: [schools[0]!], nvrs }), previous, nvrs)]).toEqual(['fsn1-b']);
  });
});
