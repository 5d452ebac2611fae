// Requests and answers of the write endpoints. Spec fields come from the crds/ schemas, so the API takes what the
// resource model takes; secret references are never taken from a caller.
import { z } from 'zod';
import { faceIdDeviceSpec } from '../../../crds/kinds/faceid-device.js';
import { mediaNodeSpec } from '../../../crds/kinds/media-node.js';
import { nvrSpec } from '../../../crds/kinds/nvr.js';
import { schoolSpec, schoolTunnel } from '../../../crds/kinds/school.js';
import { resourceId } from '../schemas.js';

const { schoolRef: _nvrSchool, credentialsSecretRef: _ref, ...nvrFields } = nvrSpec.shape;
const { schoolRef: _deviceSchool, webhookSecretRef: _webhook, ...faceIdFields } = faceIdDeviceSpec.shape;

export const credentials = z
  .object({
    username: z.string().min(1).max(128).regex(/^[^\s:]+$/, 'must not contain spaces or colons'),
    password: z.string().min(1).max(256),
  })
  .strict()
  .describe('Written as an immutable Secret named by a keyed hash of its content; never stored in Git, logs, audit or answers.')
  .meta({ id: 'NvrCredentials' });

export const nvrCreate = z
  .object({ name: resourceId('NVR').describe('Object name; starts with the school id and a dash (school-17-gate).'), ...nvrFields, credentials })
  .strict()
  .meta({ id: 'NvrCreateRequest' });

export const nvrUpdate = z
  .object({ ...nvrFields, credentials: credentials.optional().describe('New credentials; without them the NVR keeps the Secret it references.') })
  .strict()
  .meta({ id: 'NvrUpdateRequest' });

export const faceIdCreate = z
  .object({ name: resourceId('FaceID device').describe('Object name; starts with the school id and a dash.'), ...faceIdFields })
  .strict()
  .meta({ id: 'FaceIdDeviceCreateRequest' });

export const faceIdUpdate = z.object(faceIdFields).strict().meta({ id: 'FaceIdDeviceUpdateRequest' });

/** What a school's own admin may change; region and node pinning are capacity decisions left to the fleet's engineers. */
export const schoolPatch = z
  .object({
    displayName: schoolSpec.shape.displayName.optional(),
    timezone: schoolSpec.shape.timezone.optional(),
    networkMode: z.enum(['public', 'tunnel']).optional().describe(schoolSpec.shape.networkMode.description ?? 'Network mode.'),
  })
  .strict()
  .refine((p) => Object.keys(p).length > 0, 'name at least one of displayName, timezone, networkMode')
  .meta({ id: 'SchoolPatchRequest' });

/** The school's WireGuard gateway: its public key and the LAN addresses it exposes; proposing it sets tunnel mode. */
export const schoolTunnelRequest = schoolTunnel.meta({ id: 'SchoolTunnelRequest' });

export const mediaNodeCreate = z
  .object({ name: resourceId('media node'), ...mediaNodeSpec.shape })
  .strict()
  .meta({ id: 'MediaNodeCreateRequest' });

export const mediaNodeUpdate = z.object(mediaNodeSpec.shape).strict().meta({ id: 'MediaNodeUpdateRequest' });

export const nvrPathParams = z.object({ schoolId: resourceId('school'), name: resourceId('NVR') });
export const faceIdPathParams = z.object({ schoolId: resourceId('school'), name: resourceId('FaceID device') });
export const mediaNodePathParams = z.object({ name: resourceId('media node') });

export const diffStat = z.object({ file: z.string(), added: z.number().int(), removed: z.number().int() });

export const proposal = z
  .object({
    number: z.number().int(),
    url: z.string(),
    title: z.string(),
    branch: z.string(),
    created: z.boolean().describe('False when the same change was already proposed: the open pull request is returned.'),
    labels: z.array(z.string()),
    diffStat: z.array(diffStat).describe('Rendered MediaMTX config files the change touches, with lines added and removed.'),
    diff: z
      .string()
      .nullable()
      .describe('The redacted rendered diff; null for school-scoped callers, since its context lines show other schools (read it in the pull request).'),
  })
  .meta({ id: 'Proposal' });

export const proposalResult = z
  .object({
    proposal,
    change: z.object({
      action: z.enum(['create', 'update', 'delete']),
      kind: z.enum(['School', 'Nvr', 'FaceIdDevice', 'MediaNode']),
      name: z.string(),
      object: z.record(z.string(), z.unknown()).nullable().describe('The object as proposed for Git; null for a removal.'),
    }),
  })
  .meta({ id: 'ProposalResult' });

export const approvalState = z
  .object({
    required: z.number().int(),
    approvers: z.array(z.string()).describe('Approvals that count: on the head commit, by people other than the authors and the bot.'),
    discounted: z.array(z.object({ reviewer: z.string(), why: z.string() })),
    blocking: z.array(z.string()).describe('Why the two-person rule is not met yet; empty when it is.'),
    satisfied: z.boolean(),
  })
  .meta({ id: 'ApprovalState' });

export const openProposal = z
  .object({
    number: z.number().int(),
    title: z.string(),
    url: z.string(),
    branch: z.string(),
    headSha: z.string(),
    author: z.string().describe('The Git host account that opened it.'),
    requestedBy: z.string().nullable().describe('The API user the proposal was made for, when the API made it.'),
    school: z.string().nullable(),
    kind: z.string().nullable(),
    labels: z.array(z.string()),
    approvals: approvalState,
  })
  .meta({ id: 'OpenProposal' });

export const proposalParams = z.object({ number: z.coerce.number().int().positive('must be a pull request number') });

export const proposalDetail = openProposal
  .extend({
    diffStat: z.array(diffStat).describe('Rendered MediaMTX config files the branch changes against the base branch now, with lines added and removed.'),
    diff: z
      .string()
      .nullable()
      .describe('The redacted rendered diff of the branch against the base branch now; null for school-scoped callers, since its context lines show other schools.'),
  })
  .meta({ id: 'ProposalDetail' });

export const proposalsQuery = z.object({
  schoolId: resourceId('school').optional(),
  before: z.coerce.number().int().positive().optional().describe('Return pull requests numbered below this (paging).'),
  limit: z.coerce.number().int().min(1).max(100).default(25).describe('Each one costs the Git host two calls, so pages are small.'),
});
export const proposalList = z.object({
  items: z.array(openProposal),
  next: z.number().int().nullable().describe('The `before` of the next page, or null on the last one.'),
});

export type NvrCreate = z.output<typeof nvrCreate>;
export type NvrUpdate = z.output<typeof nvrUpdate>;
export type FaceIdCreate = z.output<typeof faceIdCreate>;
export type FaceIdUpdate = z.output<typeof faceIdUpdate>;
export type SchoolPatch = z.output<typeof schoolPatch>;
export type SchoolTunnelRequest = z.output<typeof schoolTunnelRequest>;
export type MediaNodeCreate = z.output<typeof mediaNodeCreate>;
export type MediaNodeUpdate = z.output<typeof mediaNodeUpdate>;
export type ProposalView = z.output<typeof proposal>;
export type ProposalResult = z.output<typeof proposalResult>;
export type OpenProposal = z.output<typeof openProposal>;
export type ProposalDetail = z.output<typeof proposalDetail>;
