// The fleet tree as the resource model reads it: every Posbon object validated by the crds/ schemas, typed for the core.
import { GROUP, validateAny, type FaceIdDevice, type FieldError, type MediaNode, type Nvr, type School } from '../../crds/index.js';
import type { Fleet } from '../../operator/core/index.js';
import type { FleetResource, FleetTree } from './tree.js';

export interface InvalidResource {
  resource: FleetResource;
  errors: FieldError[];
}

export interface TypedFleet {
  /** The valid objects, with the schema's defaults filled in, as the operator's core takes them. */
  fleet: Fleet;
  faceIdDevices: FaceIdDevice[];
  /** The file and document each valid object came from. */
  sources: Map<object, FleetResource>;
  invalid: InvalidResource[];
}

/** An object the resource model owns: its API group is Posbon's (other kinds, such as Secret, are other policies' concern). */
export const isPosbonObject = (r: FleetResource): boolean => r.apiVersion.split('/')[0] === GROUP;

export function typedFleet(tree: FleetTree): TypedFleet {
  const typed: TypedFleet = { fleet: { nodes: [], schools: [], nvrs: [] }, faceIdDevices: [], sources: new Map(), invalid: [] };
  for (const r of tree.resources.filter(isPosbonObject)) {
    const result = validateAny(r.object);
    if (!result.ok) {
      typed.invalid.push({ resource: r, errors: result.errors });
      continue;
    }
    const object = result.value;
    typed.sources.set(object, r);
    if (object.kind === 'MediaNode') typed.fleet.nodes.push(object as MediaNode);
    else if (object.kind === 'School') typed.fleet.schools.push(object as School);
    else if (object.kind === 'Nvr') typed.fleet.nvrs.push(object as Nvr);
    else typed.faceIdDevices.push(object as FaceIdDevice);
  }
  return typed;
}
