// The resource model: one zod schema per kind is the single source of the CRDs, the types and validate().
import { z } from 'zod';
import { faceIdDeviceSpec, faceIdDeviceStatus } from './kinds/faceid-device.js';
import { mediaNodeSpec, mediaNodeStatus } from './kinds/media-node.js';
import { nvrSpec, nvrStatus } from './kinds/nvr.js';
import { schoolSpec, schoolStatus } from './kinds/school.js';
import { DNS_LABEL, condition } from './schema/fields.js';

export const GROUP = 'posbon.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
/** Where the Flux and Argo CD bootstrap apply the fleet (gitops/bootstrap), and so where every component looks by default. */
export const FLEET_NAMESPACE = 'posbon';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'boolean' | 'date' | 'number';
  jsonPath: string;
  description: string;
  priority?: number;
}

export interface KindDefinition {
  kind: KindName;
  plural: string;
  singular: string;
  shortNames: string[];
  scope: 'Namespaced' | 'Cluster';
  description: string;
  spec: z.ZodType;
  status: z.ZodType;
  /** Spec fields that may not change after creation (paths below `spec`). */
  immutable: string[];
  printerColumns: PrinterColumn[];
}

export type KindName = 'School' | 'Nvr' | 'MediaNode' | 'FaceIdDevice';

const ready: PrinterColumn = {
  name: 'Ready',
  type: 'string',
  jsonPath: '.status.conditions[?(@.type=="Ready")].status',
  description: 'Whether the last reconcile succeeded.',
};
const reason: PrinterColumn = {
  name: 'Reason',
  type: 'string',
  jsonPath: '.status.conditions[?(@.type=="Ready")].reason',
  description: 'Why the resource is or is not ready.',
  priority: 1,
};
const age: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Time since creation.' };

export const KINDS: Record<KindName, KindDefinition> = {
  School: {
    kind: 'School',
    plural: 'schools',
    singular: 'school',
    shortNames: ['sch'],
    scope: 'Namespaced',
    description: 'A school whose NVRs and FaceID terminals Posbon serves.',
    spec: schoolSpec,
    status: schoolStatus,
    immutable: [],
    printerColumns: [
      { name: 'Region', type: 'string', jsonPath: '.spec.region', description: 'Region of the school.' },
      { name: 'Mode', type: 'string', jsonPath: '.spec.networkMode', description: 'public (router port-forward) or tunnel (WireGuard from the school).' },
      { name: 'Node', type: 'string', jsonPath: '.status.mediaNode', description: 'Media node serving the school.' },
      { name: 'Cameras', type: 'integer', jsonPath: '.status.cameraCount', description: 'Cameras published.' },
      { name: 'Tunnel-Address', type: 'string', jsonPath: '.status.tunnel.address', description: 'The gateway\'s address in its node\'s tunnel range.', priority: 1 },
      { name: 'Handshake', type: 'date', jsonPath: '.status.tunnel.lastHandshake', description: 'Latest WireGuard handshake the node saw.', priority: 1 },
      { name: 'Tunnel', type: 'string', jsonPath: '.status.conditions[?(@.type=="TunnelConnected")].status', description: 'Whether the gateway\'s handshake is fresh.' },
      ready,
      reason,
      age,
    ],
  },
  Nvr: {
    kind: 'Nvr',
    plural: 'nvrs',
    singular: 'nvr',
    shortNames: ['nvr'],
    scope: 'Namespaced',
    description: 'An NVR or IP camera behind a school router, pulled by the school\'s media node.',
    spec: nvrSpec,
    status: nvrStatus,
    immutable: ['schoolRef'],
    printerColumns: [
      { name: 'School', type: 'string', jsonPath: '.spec.schoolRef', description: 'School of the NVR.' },
      { name: 'Mode', type: 'string', jsonPath: '.spec.connectivity', description: 'public (router port-forward) or tunnel (through the school\'s WireGuard gateway).' },
      { name: 'Host', type: 'string', jsonPath: '.spec.publicHost', description: 'Public host of the school router (public mode).' },
      { name: 'LAN-Host', type: 'string', jsonPath: '.spec.tunnel.host', description: 'LAN address of the NVR behind the tunnel (tunnel mode).' },
      { name: 'Node', type: 'string', jsonPath: '.status.mediaNode', description: 'Media node pulling the NVR.' },
      { name: 'Cameras', type: 'integer', jsonPath: '.status.cameraCount', description: 'Cameras published.' },
      { name: 'Reachable', type: 'string', jsonPath: '.status.conditions[?(@.type=="Reachable")].status', description: 'Whether the media node reaches the NVR.' },
      ready,
      reason,
      age,
    ],
  },
  MediaNode: {
    kind: 'MediaNode',
    plural: 'medianodes',
    singular: 'medianode',
    shortNames: ['mn'],
    scope: 'Cluster',
    description: 'A MediaMTX server with static egress IPs: one shard of the fleet.',
    spec: mediaNodeSpec,
    status: mediaNodeStatus,
    immutable: [],
    printerColumns: [
      { name: 'Region', type: 'string', jsonPath: '.spec.region', description: 'Region of the node.' },
      { name: 'Schools', type: 'integer', jsonPath: '.status.schoolCount', description: 'Schools assigned.' },
      { name: 'Cameras', type: 'integer', jsonPath: '.status.cameraCount', description: 'Cameras published.' },
      { name: 'Cordoned', type: 'boolean', jsonPath: '.spec.cordoned', description: 'Takes no new schools.' },
      { name: 'Tunnel-Peers', type: 'integer', jsonPath: '.status.tunnel.peers', description: 'Tunnel schools served through WireGuard.', priority: 1 },
      ready,
      reason,
      age,
    ],
  },
  FaceIdDevice: {
    kind: 'FaceIdDevice',
    plural: 'faceiddevices',
    singular: 'faceiddevice',
    shortNames: ['fid'],
    scope: 'Namespaced',
    description: 'A face-recognition terminal that pushes attendance events to the webhook.',
    spec: faceIdDeviceSpec,
    status: faceIdDeviceStatus,
    immutable: ['schoolRef'],
    printerColumns: [
      { name: 'School', type: 'string', jsonPath: '.spec.schoolRef', description: 'School of the terminal.' },
      { name: 'Vendor', type: 'string', jsonPath: '.spec.vendor', description: 'Terminal vendor.' },
      { name: 'Direction', type: 'string', jsonPath: '.spec.direction', description: 'in, out or both.' },
      { name: 'Last-Event', type: 'date', jsonPath: '.status.lastEventAt', description: 'When the last event arrived.' },
      ready,
      age,
    ],
  },
};

/** Metadata as the resource model reads it; the rest of ObjectMeta passes through. */
const metadata = z
  .object({
    name: z.string().min(1).max(63).regex(new RegExp(DNS_LABEL)),
    namespace: z.string().optional(),
    generation: z.number().int().optional(),
    resourceVersion: z.string().optional(),
    uid: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  })
  .passthrough();

export type ObjectMeta = z.output<typeof metadata>;

const resource = <K extends KindName, S extends z.ZodType, T extends z.ZodType>(kind: K, spec: S, status: T) =>
  z
    .object({
      apiVersion: z.literal(API_VERSION),
      kind: z.literal(kind),
      metadata,
      spec,
      status: status.optional(),
    })
    .strict();

export const schemas = {
  School: resource('School', schoolSpec, schoolStatus),
  Nvr: resource('Nvr', nvrSpec, nvrStatus),
  MediaNode: resource('MediaNode', mediaNodeSpec, mediaNodeStatus),
  FaceIdDevice: resource('FaceIdDevice', faceIdDeviceSpec, faceIdDeviceStatus),
} as const;

export type School = z.output<typeof schemas.School>;
export type Nvr = z.output<typeof schemas.Nvr>;
export type MediaNode = z.output<typeof schemas.MediaNode>;
export type FaceIdDevice = z.output<typeof schemas.FaceIdDevice>;
export type Condition = z.output<typeof condition>;
export type SchoolSpec = School['spec'];
export type NvrSpec = Nvr['spec'];
export type MediaNodeSpec = MediaNode['spec'];
export type FaceIdDeviceSpec = FaceIdDevice['spec'];
export type Camera = NvrSpec['cameras'][number];
export type FleetResource = School | Nvr | MediaNode | FaceIdDevice;

export interface FieldError {
  /** Dotted path of the field (`spec.publicHost`, `spec.cameras[1].id`). */
  field: string;
  message: string;
}

export type Validation<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

const fieldPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '');

export const isKindName = (kind: unknown): kind is KindName => typeof kind === 'string' && kind in KINDS;

/** Validates an object as the API server would on create, with every error naming its field. */
export function validate<K extends KindName>(kind: K, object: unknown): Validation<z.output<(typeof schemas)[K]>> {
  const result = (schemas[kind] as z.ZodType).safeParse(object);
  if (result.success) return { ok: true, value: result.data as z.output<(typeof schemas)[K]> };
  return {
    ok: false,
    errors: result.error.issues.flatMap((issue) =>
      // One error per unknown key, named as the API server names it (`spec.password`).
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({ field: fieldPath([...issue.path, key]), message: `unknown field "${key}"` }))
        : [{ field: fieldPath(issue.path), message: issue.message }],
    ),
  };
}

/** Validates an update: the object itself, then the fields that may not change. */
export function validateUpdate<K extends KindName>(kind: K, previous: unknown, next: unknown): Validation<z.output<(typeof schemas)[K]>> {
  const result = validate(kind, next);
  if (!result.ok) return result;
  const spec = (o: unknown) => ((o ?? {}) as { spec?: Record<string, unknown> }).spec ?? {};
  const errors = KINDS[kind].immutable
    .filter((field) => JSON.stringify(spec(previous)[field]) !== JSON.stringify(spec(next)[field]))
    .map((field) => ({ field: `spec.${field}`, message: `${field} is immutable` }));
  return errors.length > 0 ? { ok: false, errors } : result;
}

/** Parses any fleet object by its kind field. */
export function validateAny(object: unknown): Validation<FleetResource> {
  const kind = (object as { kind?: unknown } | null)?.kind;
  if (!isKindName(kind)) return { ok: false, errors: [{ field: 'kind', message: `must be one of ${Object.keys(KINDS).join(', ')}` }] };
  return validate(kind, object) as Validation<FleetResource>;
}
