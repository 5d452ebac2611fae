// Two cameras on one MediaMTX path would leave one of them silently unreachable.
import { publishedCameras } from '../../../operator/core/index.js';
import { resourceId, type FleetResource } from '../../fleet-repo/tree.js';
import { renderValidFleet } from '../../render/render.js';
import type { Policy, Violation } from '../policy.js';

export const uniquePaths: Policy = {
  name: 'unique-mediamtx-paths',
  description: 'no two cameras (or H.264 fallbacks) are published on the same MediaMTX path',
  check: ({ head }) => {
    const { typed } = renderValidFleet(head);
    const owners = new Map<string, FleetResource>();
    const violations: Violation[] = [];
    for (const nvr of typed.fleet.nvrs) {
      const source = typed.sources.get(nvr)!;
      for (const camera of publishedCameras(nvr)) {
        for (const path of [camera.path, ...(camera.webrtcFallback ? [camera.webrtcFallback.path] : [])]) {
          const first = owners.get(path);
          if (!first) owners.set(path, source);
          else violations.push({ policy: 'unique-mediamtx-paths', path: source.path, resource: resourceId(source), reason: `MediaMTX path ${path} is already published by ${first.path}` });
        }
      }
    }
    return violations;
  },
};
