// The few spec fields the policies read, in one place so they follow the crds/ schemas when those change.
import type { FleetResource } from './tree.js';

const spec = (r: FleetResource): Record<string, unknown> => {
  const s = r.object.spec;
  return typeof s === 'object' && s !== null && !Array.isArray(s) ? (s as Record<string, unknown>) : {};
};

const refName = (value: unknown): string | null => {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { name?: unknown }).name === 'string') return (value as { name: string }).name;
  return null;
};

/** The school a school-scoped resource belongs to: `spec.schoolRef`, or the School itself. */
export const schoolOf = (r: FleetResource): string | null => (r.kind === 'School' ? r.name : refName(spec(r).schoolRef));

/** A School's pinned media node. */
export const mediaNodeRefOf = (school: FleetResource): string | null => refName(spec(school).mediaNodeRef);

/** A MediaNode taken out of rotation (`spec.cordoned`); only then may it be deleted. */
export const isDraining = (node: FleetResource): boolean => spec(node).cordoned === true;

export const publicHostOf = (nvr: FleetResource): string | null => (typeof spec(nvr).publicHost === 'string' ? (spec(nvr).publicHost as string) : null);

/** The Secret an Nvr's credentials live in (`spec.credentialsSecretRef.name`). */
export const credentialsSecretOf = (nvr: FleetResource): string | null => refName(spec(nvr).credentialsSecretRef);

export const serialNumberOf = (device: FleetResource): string | null => (typeof spec(device).serialNumber === 'string' ? (spec(device).serialNumber as string) : null);
