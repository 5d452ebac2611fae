// `render`: the operator's pure core over a fleet tree, with credentials redacted: exactly what each media node will load.
import { stringify } from 'yaml';
import {
  planFleet,
  schoolPlacement,
  DEFAULT_ASSIGN_OPTIONS,
  type AssignOptions,
  DEFAULT_RENDER_OPTIONS,
  REDACTED,
  renderMediaMtxConfig,
  validateMediaMtxConfig,
  type MediaMtxConfig,
  type RenderOptions,
  configMapName,
} from '../../operator/core/index.js';
import { InputError } from '../../lib/errors/index.js';
import { typedFleet, type TypedFleet } from '../fleet-repo/model.js';
import { resourceId, type FleetTree } from '../fleet-repo/tree.js';

/** The API server refuses objects over 1 MiB; the operator writes no sealed config above this many bytes. */
export const MAX_SEALED_CONFIG_BYTES = 1_000_000;

/** Reviewers see REDACTED; a shard is sized as if every NVR had credentials this long (URL-encoded user + password). */
export const SIZING_CREDENTIAL_LENGTH = 96;

/** secretbox adds a 24-byte nonce and a 16-byte tag; the ConfigMap holds the result in base64. */
export const sealedSize = (yamlBytes: number): number => 4 * Math.ceil((24 + 16 + yamlBytes) / 3);

export interface RenderedNode {
  node: string;
  /** The file name of the node's config in a render folder: the name of its ConfigMap. */
  file: string;
  config: MediaMtxConfig;
  yaml: string;
  schools: string[];
  cameraCount: number;
  maxCameras: number;
  /** Estimated size of the sealed config in the ConfigMap, with credentials of SIZING_CREDENTIAL_LENGTH. */
  sealedBytes: number;
  /** What MediaMTX would refuse on load. */
  problems: string[];
}

export interface SchoolPlacementRow {
  school: string;
  mediaNode: string | null;
  reason: string;
  /** The egress IPs the school's router must allow. */
  allowlistIPs: string[];
  cameras: number;
}

export interface FleetRender {
  nodes: RenderedNode[];
  placements: SchoolPlacementRow[];
  /** File name → text: one config per media node, and where each school is served. */
  files: Map<string, string>;
}

export const PLACEMENTS_FILE = 'placements.yaml';
export const renderedFileOf = (node: string): string => `${configMapName(node)}.yml`;

export interface FleetRenderOptions {
  render?: RenderOptions;
  assign?: AssignOptions;
}

export type ValidFleetRender = FleetRender & { typed: TypedFleet };

const renders = new WeakMap<FleetTree, ValidFleetRender>();

/** Renders the objects of a tree that pass the schema; `verify` reports the others. Kept per tree for the default options. */
export function renderValidFleet(tree: FleetTree, options: FleetRenderOptions = {}): ValidFleetRender {
  const usesDefaults = options.render === undefined && options.assign === undefined;
  const cached = usesDefaults ? renders.get(tree) : undefined;
  if (cached) return cached;
  const typed = typedFleet(tree);
  const { fleet } = typed;
  const plan = planFleet(fleet, options.assign ?? DEFAULT_ASSIGN_OPTIONS);
  const nodes: RenderedNode[] = [];
  for (const [name, shard] of plan.shards) {
    const result = renderMediaMtxConfig(shard.node, shard.members, () => REDACTED, options.render ?? DEFAULT_RENDER_OPTIONS);
    const sources = Object.keys(result.config.paths).length;
    const sizingExtra = sources * (SIZING_CREDENTIAL_LENGTH - REDACTED.username.length - REDACTED.password.length);
    nodes.push({
      node: name,
      file: renderedFileOf(name),
      config: result.config,
      yaml: result.yaml,
      schools: shard.schools,
      cameraCount: result.cameraCount,
      maxCameras: shard.node.spec.maxCameras,
      sealedBytes: sealedSize(Buffer.byteLength(result.yaml) + sizingExtra),
      problems: validateMediaMtxConfig(result.config),
    });
  }
  const placements = fleet.schools
    .map((school): SchoolPlacementRow => {
      const placement = schoolPlacement(school, plan);
      return {
        school: school.metadata.name,
        mediaNode: placement.mediaNode ?? null,
        reason: plan.assignments.get(school.metadata.name)?.reason ?? 'NoMediaNode',
        allowlistIPs: placement.allowlistIPs,
        cameras: placement.cameraCount,
      };
    })
    .sort((a, b) => (a.school < b.school ? -1 : 1));
  const files = new Map<string, string>(nodes.map((n) => [n.file, n.yaml]));
  files.set(PLACEMENTS_FILE, stringify(placements));
  const rendered = { nodes, placements, files, typed };
  if (usesDefaults) renders.set(tree, rendered);
  return rendered;
}

/** Renders a tree for people to read; refuses one with an object the schema rejects, naming the field. */
export function renderFleet(tree: FleetTree, options: FleetRenderOptions = {}): FleetRender {
  const { typed, ...rendered } = renderValidFleet(tree, options);
  const first = typed.invalid[0];
  if (first) {
    const error = first.errors[0]!;
    throw new InputError(`${first.resource.path} ${resourceId(first.resource)}`, `${error.field}: ${error.message}`);
  }
  return rendered;
}
