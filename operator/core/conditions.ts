// Conditions in the shape of metav1.Condition: the transition time moves only when the status flips.
import type { Condition } from '../../crds/index.js';

export interface ConditionInput {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

export function setCondition(existing: Condition[] | undefined, next: ConditionInput, now: string, generation: number | undefined): Condition[] {
  const previous = existing?.find((c) => c.type === next.type);
  const condition: Condition = {
    ...next,
    message: next.message.slice(0, 32768),
    lastTransitionTime: previous && previous.status === next.status ? previous.lastTransitionTime : now,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
  };
  return [...(existing ?? []).filter((c) => c.type !== next.type), condition].sort((a, b) => (a.type < b.type ? -1 : 1));
}

/** Status equality that ignores the clock, so an unchanged status is never rewritten. */
export function sameStatus(a: unknown, b: unknown): boolean {
  const strip = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(strip)
      : v && typeof v === 'object'
        ? Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'lastTransitionTime').sort(([x], [y]) => (x < y ? -1 : 1)).map(([k, x]) => [k, strip(x)]))
        : v;
  return JSON.stringify(strip(a ?? {})) === JSON.stringify(strip(b ?? {}));
}
