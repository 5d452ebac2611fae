import type { Policy } from '../policy.js';

export const yamlParses: Policy = {
  name: 'yaml-parses',
  description: 'every YAML file parses into mappings with apiVersion, kind and metadata.name',
  check: ({ head }) => [
    ...head.parseErrors.map((e) => ({ policy: 'yaml-parses', path: e.path, reason: e.message })),
    ...head.resources
      .filter((r) => !r.apiVersion || !r.kind || !r.name)
      .map((r) => ({ policy: 'yaml-parses', path: r.path, reason: `document ${r.index + 1} lacks apiVersion, kind or metadata.name` })),
  ],
};
