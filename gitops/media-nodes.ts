// The media-node stack's outputs become MediaNode objects in the fleet: infrastructure and fleet meet in a reviewed pull request.
import { stringify } from 'yaml';
import { GROUP, VERSION, validateAny, type MediaNode } from '../crds/index.js';
import { stackMediaNodeLabels, stackOutputsSchema, type StackOutputs } from '../pulumi/outputs.js';
import { MEDIAMTX_PORTS } from '../operator/core/index.js';
import { InputError } from '../lib/errors/index.js';
import { fleetPath } from './fleet-repo/layout.js';
import type { FleetResource, FleetTree } from './fleet-repo/tree.js';
import type { FileChange } from './hosts/git-host.js';

export interface MediaNodeChange {
  /** New or changed MediaNodes, each with the file it goes to. */
  put: Array<{ object: MediaNode; path: string }>;
  /** MediaNodes of retired nodes, with the file they are in. */
  remove: Array<{ name: string; path: string }>;
}

/** Outputs as `pulumi stack output --json` prints them; a bad one is an InputError naming the field. */
export function parseStackOutputs(raw: unknown): StackOutputs {
  const parsed = stackOutputsSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new InputError('--outputs', `${issue.path.join('.') || '(root)'}: ${issue.message}`);
}

const specOf = (r: FleetResource): Record<string, unknown> => (r.object.spec ?? {}) as Record<string, unknown>;

/** What a MediaNode says, defaults filled in, so that a hand-written file and a generated one compare equal. */
function meaning(object: unknown): string | null {
  const result = validateAny(object);
  if (!result.ok || result.value.kind !== 'MediaNode') return null;
  const node = result.value as MediaNode;
  return JSON.stringify({
    labels: node.metadata.labels ?? {},
    spec: { ...node.spec, egressIPs: [...node.spec.egressIPs].sort() },
  });
}

/**
 * MediaNodes for the stack's nodes, keeping what the fleet decides (cordoned) and taking from the stack what the
 * machines are (region, egress IP, URLs, capacity). Unchanged nodes are left out; retired nodes are removed.
 */
export function mediaNodeChange(
  outputs: StackOutputs,
  base: FleetTree,
  env: string,
  options: { cordonNew?: boolean } = {},
): MediaNodeChange {
  const existing = new Map(base.resources.filter((r) => r.kind === 'MediaNode').map((r) => [r.name, r]));
  const change: MediaNodeChange = { put: [], remove: [] };
  for (const node of [...outputs.nodes].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const current = existing.get(node.name);
    // MediaMTX terminates TLS itself, WHEP and HLS each on its own port (no front on 443).
    const url = (port: number) => `https://${node.mediaHostname}:${port}`;
    const object: MediaNode = {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'MediaNode',
      metadata: { name: node.name, labels: stackMediaNodeLabels(node.pool) },
      spec: {
        region: node.region,
        egressIPs: [node.ipv4],
        webrtcBaseUrl: url(MEDIAMTX_PORTS.webrtc),
        hlsBaseUrl: url(MEDIAMTX_PORTS.hls),
        capacityWeight: node.capacityWeight,
        maxCameras: node.maxCameras,
        cordoned: current ? specOf(current).cordoned === true : options.cordonNew === true,
      },
    };
    const path = current?.path ?? fleetPath.mediaNode(env, node.name);
    if (current && meaning(current.object) === meaning(object)) continue;
    change.put.push({ object, path });
  }
  for (const retired of outputs.retired) {
    const current = existing.get(retired.name);
    if (current) change.remove.push({ name: retired.name, path: current.path });
  }
  return change;
}

/** The change as files in the fleet repository. */
export const mediaNodeFiles = (change: MediaNodeChange): FileChange[] => [
  ...change.put.map(({ object, path }) => ({ path, content: stringify(object, { lineWidth: 0 }) })),
  ...change.remove.map(({ path }) => ({ path, content: null })),
];

export function describeChange(change: MediaNodeChange, stack: string): { title: string; summary: string } {
  const names = (list: Array<{ name: string }>) => list.map((n) => n.name).join(', ');
  const parts = [
    ...(change.put.length > 0 ? [`put ${names(change.put.map((p) => ({ name: p.object.metadata.name })))}`] : []),
    ...(change.remove.length > 0 ? [`remove ${names(change.remove)}`] : []),
  ];
  return {
    title: `Media nodes from stack ${stack}: ${parts.join('; ')}`,
    summary: [
      `The media-node stack \`${stack}\` reports these machines. Each MediaNode's egress IP is what school routers must admit.`,
      ...(change.remove.length > 0
        ? [
            '',
            `Removed nodes (${names(change.remove)}) were cordoned and drained in an earlier change and retired from the stack.`,
          ]
        : []),
    ].join('\n'),
  };
}
