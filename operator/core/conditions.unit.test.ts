import type { Condition } from '../../crds/index.js';
import { sameStatus, setCondition } from './conditions.js';

const ready = (status: 'True' | 'False', reason: string) => ({ type: 'Ready', status, reason, message: `${reason} message` });

describe('setCondition', () => {
  it('adds a condition with the time of now and the generation it describes, sorted by type', () => {
    const stalled: Condition = { type: 'Stalled', status: 'True', reason: 'InvalidTimezone', message: 'm', lastTransitionTime: '2026-01-01T00:00:00Z' };
    expect(setCondition([stalled], ready('True', 'Assigned'), '2026-02-01T00:00:00Z', 3)).toEqual([
      { type: 'Ready', status: 'True', reason: 'Assigned', message: 'Assigned message', lastTransitionTime: '2026-02-01T00:00:00Z', observedGeneration: 3 },
      stalled,
    ]);
  });

  it('keeps lastTransitionTime while the status stays, even when the reason changes', () => {
    const first = setCondition(undefined, ready('False', 'NoMediaNode'), '2026-01-01T00:00:00Z', 1);
    expect(setCondition(first, ready('False', 'SchoolNotFound'), '2026-02-01T00:00:00Z', 2)).toEqual([
      { type: 'Ready', status: 'False', reason: 'SchoolNotFound', message: 'SchoolNotFound message', lastTransitionTime: '2026-01-01T00:00:00Z', observedGeneration: 2 },
    ]);
  });

  it('moves lastTransitionTime when the status flips', () => {
    const first = setCondition(undefined, ready('False', 'NoMediaNode'), '2026-01-01T00:00:00Z', 1);
    expect(setCondition(first, ready('True', 'Assigned'), '2026-02-01T00:00:00Z', 1)[0]!.lastTransitionTime).toBe('2026-02-01T00:00:00Z');
  });

  it('cuts a message to the 32768 characters metav1.Condition allows', () => {
    const [condition] = setCondition(undefined, { ...ready('False', 'InvalidConfig'), message: 'x'.repeat(40_000) }, '2026-01-01T00:00:00Z', undefined);
    expect([condition!.message.length, 'observedGeneration' in condition!]).toEqual([32768, false]);
  });
});

describe('sameStatus', () => {
  it('ignores transition times and key order, so an unchanged status is not rewritten', () => {
    const a = { cameraCount: 2, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }] };
    const b = { conditions: [{ lastTransitionTime: '2026-03-01T00:00:00Z', status: 'True', type: 'Ready' }], cameraCount: 2 };
    expect(sameStatus(a, b)).toBe(true);
  });

  it('sees any other difference, and treats a missing status as empty', () => {
    expect([sameStatus({ cameraCount: 2 }, { cameraCount: 3 }), sameStatus(undefined, {}), sameStatus(undefined, { cameraCount: 0 })]).toEqual([false, true, false]);
  });
});
