// Every Posbon object in the tree is what the API server would accept: the crds/ schemas, field by field.
import { typedFleet } from '../../fleet-repo/model.js';
import { resourceId } from '../../fleet-repo/tree.js';
import type { Policy } from '../policy.js';

export const schemaValid: Policy = {
  name: 'schema',
  description: 'School, Nvr, MediaNode and FaceIdDevice objects pass the crds/ schemas the API server enforces',
  check: ({ head }) =>
    typedFleet(head).invalid.flatMap(({ resource, errors }) =>
      errors.map((e) => ({ policy: 'schema', path: resource.path, resource: resourceId(resource), reason: `${e.field}: ${e.message}` })),
    ),
};
