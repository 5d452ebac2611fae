import { kstatus } from '../../test/fixtures/kstatus.js';
import { mediaNode, nvr, school } from '../../test/fixtures/fleet.js';
import { planFleet } from './plan.js';
import { faceIdDeviceOutcome, mediaNodeStatus, nvrStatus, reconciledStatus, schoolStatus, type Outcome } from './status.js';

const NOW = '2026-11-29T08:00:00.000Z';
const LATER = '2026-11-29T09:00:00.000Z';
const ready = { type: 'Ready', status: 'True' as const, reason: 'ConfigApplied', message: '3 cameras of 1 schools' };
const notReady = (reason: string) => ({ type: 'Ready', status: 'False' as const, reason, message: `${reason} message` });

/** An object at generation 2 whose generation 1 reconciled fine. */
const reconciledAt1 = { metadata: { generation: 2 }, status: reconciledStatus(undefined, { kind: 'done', ready }, NOW, 1) };
const after = (outcome: Outcome) => ({ metadata: { generation: 2 }, status: reconciledStatus(reconciledAt1.status, outcome, LATER, 2) });

describe('reconciledStatus, read as kstatus reads it', () => {
  it('a success observes the generation and reads Current', () => {
    const object = after({ kind: 'done', ready });
    expect(object.status).toEqual({ observedGeneration: 2, conditions: [{ ...ready, lastTransitionTime: NOW, observedGeneration: 2 }] });
    expect(kstatus(object)).toBe('Current');
  });

  it('a terminal error observes the generation with Stalled=True and reads Failed, not in progress', () => {
    const object = after({ kind: 'stalled', ready: notReady('InvalidConfig') });
    expect(object.status).toEqual({
      observedGeneration: 2,
      conditions: [
        { ...notReady('InvalidConfig'), lastTransitionTime: LATER, observedGeneration: 2 },
        { ...notReady('InvalidConfig'), type: 'Stalled', status: 'True', lastTransitionTime: LATER, observedGeneration: 2 },
      ],
    });
    expect(kstatus(object)).toBe('Failed');
  });

  it('a transient failure keeps the old observedGeneration, so the object reads in progress while it retries', () => {
    const object = after({ kind: 'failed', ready: notReady('ApplyFailed') });
    expect([object.status.observedGeneration, object.status.conditions.map((c) => [c.type, c.status, c.reason]), kstatus(object)]).toEqual([1, [['Ready', 'False', 'ApplyFailed']], 'InProgress']);
  });

  it('work under way sets Reconciling=True beside the last Ready, and reads in progress', () => {
    const object = after({ kind: 'reconciling', reason: 'Progressing', message: 'applying generation 2' });
    expect(object.status.conditions.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Ready', 'True', 'ConfigApplied'],
      ['Reconciling', 'True', 'Progressing'],
    ]);
    expect(kstatus(object)).toBe('InProgress');
  });

  it('a success after a stall and work under way clears Stalled and Reconciling', () => {
    const stalled = after({ kind: 'stalled', ready: notReady('ShardTooLarge') });
    const working = reconciledStatus(stalled.status, { kind: 'reconciling', reason: 'Progressing', message: 'm' }, LATER, 3);
    const done = { metadata: { generation: 3 }, status: reconciledStatus(working, { kind: 'done', ready }, LATER, 3) };
    expect([done.status.conditions.map((c) => c.type), kstatus(done)]).toEqual([['Ready'], 'Current']);
  });
});

describe('statuses from the plan', () => {
  const nodes = [mediaNode('fsn1-a')];
  const schools = [school('s1'), school('mars', { timezone: 'Mars/Olympus' })];
  const nvrs = [nvr('s1-gate', 's1', 3), nvr('mars-gate', 'mars', 1)];
  const plan = planFleet({ nodes, schools, nvrs });

  it('a school with a bad time zone is Stalled and Failed; one without a node waits in progress; a served one is Current', () => {
    const statusOf = (i: number) => ({ metadata: { generation: 1 }, status: schoolStatus(schools[i]!, plan, undefined, NOW) });
    expect(statusOf(1).status.conditions.map((c) => [c.type, c.reason])).toEqual([['Ready', 'InvalidTimezone'], ['Stalled', 'InvalidTimezone']]);
    const unserved = { metadata: { generation: 1 }, status: schoolStatus(schools[0]!, planFleet({ nodes: [], schools, nvrs }), undefined, NOW) };
    expect([kstatus(statusOf(0)), kstatus(statusOf(1)), kstatus(unserved)]).toEqual(['Current', 'Failed', 'InProgress']);
    expect(statusOf(0).status).toMatchObject({ mediaNode: 'fsn1-a', cameraCount: 3 });
  });

  it('an NVR of a left-out school says its school is not found; a published one names its node', () => {
    expect(nvrStatus(nvrs[1]!, plan, 'posbon-fleet', NOW).conditions[0]).toMatchObject({ status: 'False', reason: 'SchoolNotFound' });
    expect(nvrStatus(nvrs[0]!, plan, 'posbon-fleet', NOW)).toMatchObject({ mediaNode: 'fsn1-a', cameraCount: 3, conditions: [{ reason: 'Published', message: 'published by fsn1-a' }] });
  });

  it('a MediaNode carries counts, its ConfigMap and hash, and the outcome', () => {
    const shard = plan.shards.get('fsn1-a')!;
    const status = mediaNodeStatus(nodes[0]!, shard, { kind: 'stalled', ready: notReady('ShardTooLarge') }, { configMapName: 'mediamtx-fsn1-a' }, NOW);
    expect({ ...status, conditions: status.conditions.map((c) => c.type) }).toEqual({
      schoolCount: 1,
      cameraCount: 3,
      configMapName: 'mediamtx-fsn1-a',
      conditions: ['Ready', 'Stalled'],
      ...(nodes[0]!.metadata.generation !== undefined ? { observedGeneration: nodes[0]!.metadata.generation } : {}),
    });
  });

  it('a FaceIdDevice is Ready once its School exists and its signing Secret resolves', () => {
    const device = { metadata: { name: 'door' }, spec: { schoolRef: 's1', vendor: 'hikvision', direction: 'in', serialNumber: 'X', lan: { localIp: '192.168.1.2' }, webhookSecretRef: { name: 'door-signing' } } } as never;
    expect([faceIdDeviceOutcome(device, false, true, 'f'), faceIdDeviceOutcome(device, true, false, 'f'), faceIdDeviceOutcome(device, true, true, 'f')].map((o) => (o.kind === 'reconciling' ? '' : o.ready.reason))).toEqual([
      'SchoolNotFound',
      'SecretNotFound',
      'Resolved',
    ]);
  });
});
