// Every request and response shape of the admin API; the OpenAPI document is generated from these.
import { z } from 'zod';
import { ROLES } from './access.js';
import { DEFAULT_AGENT_TOKEN_HOURS, MAX_AGENT_TOKEN_HOURS } from './identity/agent-tokens.js';
import { onvifResultSchema, rtspResultSchema, tcpResultSchema } from '../../lib/devices/result.js';
import { rtspRequestSchema } from '../../lib/probe-protocol/requests.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
export const resourceId = (what: string) => z.string().regex(DNS_LABEL, `must be a ${what} name (DNS label)`);
/** `<school>.<nvr>.<camera>`: names are DNS labels, so the dots cannot be ambiguous. */
export const cameraId = z.string().regex(/^[a-z0-9-]{1,63}\.[a-z0-9-]{1,63}\.[a-z0-9-]{1,63}$/, 'must be <school>.<nvr>.<camera>');

export const condition = z.object({
  type: z.string(),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string(),
  message: z.string(),
  lastTransitionTime: z.string(),
  observedGeneration: z.number().int().optional(),
});

export const school = z
  .object({
    id: z.string(),
    displayName: z.string(),
    region: z.string(),
    timezone: z.string(),
    networkMode: z.enum(['public', 'tunnel']),
    mediaNode: z.string().nullable().describe('The media node serving the school, or null when none can.'),
    allowlistIPs: z.array(z.string()).describe('Egress IPs the school router must allow.'),
    cameraCount: z.number().int(),
    tunnel: z
      .object({
        mediaNode: z.string(),
        address: z.string().describe('The gateway\'s address inside the node\'s tunnel range.'),
        nodeAddress: z.string().nullable().describe('The node\'s own address in its tunnel range, which the gateway admits.'),
        endpoint: z.string().describe('host:port the gateway dials.'),
        nodePublicKey: z.string().nullable().describe('The node\'s WireGuard public key, once the operator has made it.'),
        lastHandshake: z.string().nullable().describe('Latest handshake the node reported.'),
      })
      .nullable()
      .describe('Where a tunnel school\'s gateway connects; null in public mode or before a node serves it.'),
    conditions: z.array(condition),
  })
  .meta({ id: 'School' });

export const camera = z
  .object({
    id: z.string().describe('<school>.<nvr>.<camera>'),
    schoolId: z.string(),
    nvrId: z.string(),
    name: z.string(),
    path: z.string().describe('MediaMTX path of the stream.'),
    codec: z.string().nullable(),
  })
  .meta({ id: 'Camera' });

export const nvr = z
  .object({
    id: z.string(),
    schoolId: z.string(),
    vendor: z.string(),
    publicHost: z.string().nullable().describe('Null for an NVR reached through the school\'s tunnel.'),
    publicRtspPort: z.number().int(),
    mediaNode: z.string().nullable(),
    reachability: z
      .object({ reachable: z.boolean(), reason: z.string(), node: z.string(), checkedAt: z.string() })
      .nullable(),
    conditions: z.array(condition),
    cameras: z.array(camera),
  })
  .meta({ id: 'Nvr' });

export const mediaNode = z
  .object({
    id: z.string(),
    region: z.string(),
    egressIPs: z.array(z.string()),
    webrtcBaseUrl: z.string(),
    hlsBaseUrl: z.string(),
    capacityWeight: z.number().int(),
    maxCameras: z.number().int(),
    cordoned: z.boolean(),
    schoolCount: z.number().int(),
    cameraCount: z.number().int(),
    ready: z.enum(['True', 'False', 'Unknown']).describe('The node\'s Ready condition as the operator last wrote it.'),
    conditions: z.array(condition),
  })
  .meta({ id: 'MediaNode' });

export const streamGrant = z
  .object({
    cameraId: z.string(),
    mediaNode: z.string(),
    whepUrl: z.string().describe('WebRTC (WHEP) endpoint on the camera\'s own media node.'),
    hlsUrl: z.string().describe('HLS playlist on the camera\'s own media node.'),
    token: z.string().describe('Viewer JWT: read on this camera\'s path only; send as Authorization: Bearer.'),
    expiresAt: z.string(),
  })
  .meta({ id: 'StreamGrant' });

export const role = z.enum(ROLES);

export const loginRequest = z
  .object({
    username: z.string().min(1).max(128),
    password: z.string().min(1).max(1024),
    totp: z.string().regex(/^\d{6}$/, 'must be 6 digits').optional(),
  })
  .meta({ id: 'LoginRequest' });

export const refreshRequest = z.object({ refreshToken: z.string().min(1).max(512).optional() }).meta({ id: 'RefreshRequest' });

export const tokenPair = z
  .object({
    accessToken: z.string().optional().describe('Absent in production, where tokens travel only in cookies.'),
    refreshToken: z.string().optional().describe('Absent in production, where tokens travel only in cookies.'),
    accessExpiresAt: z.string(),
    refreshExpiresAt: z.string(),
  })
  .meta({ id: 'TokenPair' });

export const session = z
  .object({
    id: z.string(),
    createdAt: z.string(),
    lastUsedAt: z.string(),
    expiresAt: z.string(),
    revokedAt: z.string().nullable(),
    revokedReason: z.string().nullable(),
    current: z.boolean(),
    userAgent: z.string().nullable(),
  })
  .meta({ id: 'Session' });

export const account = z
  .object({
    id: z.string(),
    username: z.string(),
    role,
    schools: z.array(z.string()),
    totpEnrolled: z.boolean(),
    mustChangePassword: z.boolean().describe('The account holds a generated password and may only change it, ask who it is, or log out.'),
    mustEnrolTotp: z.boolean().describe('The role needs a second factor that is not set up yet; the user enrols it at first login.'),
    disabled: z.boolean(),
    throttledUntil: z.string().nullable().describe('Logins wait until then after repeated failures.'),
    createdAt: z.string(),
  })
  .meta({ id: 'Account' });

export const createAccountRequest = z
  .object({
    username: z.string().regex(/^[a-z0-9][a-z0-9._-]{1,62}$/, 'lower-case letters, digits, . _ -; 2 to 63 characters'),
    role,
    schools: z.array(resourceId('school')).max(1000).default([]),
  })
  .meta({ id: 'CreateAccountRequest' });

export const createdAccount = z
  .object({
    account,
    initialPassword: z.string().describe('Shown once; the account holder changes it, and enrols a second factor where the role needs one.'),
  })
  .meta({ id: 'CreatedAccount' });

export const auditEntry = z
  .object({
    id: z.string(),
    at: z.string(),
    actorType: z.enum(['user', 'agent', 'device', 'system']),
    actorId: z.string(),
    schoolId: z.string().nullable(),
    requestId: z.string().nullable(),
    action: z.string(),
    params: z.record(z.string(), z.unknown()),
    result: z.string(),
  })
  .meta({ id: 'AuditEntry' });

export const auditQuery = z.object({
  schoolId: resourceId('school').optional(),
  action: z.string().max(64).optional(),
  before: z.coerce.number().int().positive().optional().describe('Return entries with an id below this (paging).'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const me = z
  .object({
    id: z.string(),
    username: z.string(),
    role,
    schools: z.array(z.string()),
    sessionId: z.string(),
    mustChangePassword: z.boolean(),
    mustEnrolTotp: z.boolean().describe('The role needs a second factor that is not set up yet: enrol it before anything else.'),
  })
  .meta({ id: 'Me' });

export const health = z.object({ ok: z.boolean(), fleetSynced: z.boolean() });
export const ok = z.object({ ok: z.literal(true) });

export const jwks = z.object({ keys: z.array(z.record(z.string(), z.unknown())) });

export const schoolParams = z.object({ schoolId: resourceId('school') });
export const nvrParams = z.object({ nvrId: resourceId('NVR') });
export const cameraParams = z.object({ cameraId });
export const nodeParams = z.object({ name: resourceId('media node') });
export const sessionParams = z.object({ sessionId: z.string().uuid() });
export const schoolList = z.object({ items: z.array(school) });
export const nvrList = z.object({ items: z.array(nvr) });
export const cameraList = z.object({ items: z.array(camera) });
export const mediaNodeList = z.object({ items: z.array(mediaNode) });
export const sessionList = z.object({ items: z.array(session) });
export const accountList = z.object({ items: z.array(account) });
export const auditList = z.object({ items: z.array(auditEntry) });

export type SchoolView = z.output<typeof school>;
export type NvrView = z.output<typeof nvr>;
export type CameraView = z.output<typeof camera>;
export type MediaNodeView = z.output<typeof mediaNode>;

const port = z.number().int().min(1).max(65535);
const probeKind = z.enum(['tcp', 'rtsp', 'onvif']).describe('tcp: connect only; rtsp: OPTIONS and DESCRIBE; onvif: device, profiles and stream URIs.');
const rtspPath = rtspRequestSchema.shape.path.unwrap().describe('RTSP stream path, e.g. Streaming/Channels/101.');

export const nvrTestRequest = z
  .object({
    kind: probeKind.default('rtsp'),
    port: port.optional().describe('tcp: one of the NVR\'s declared ports (default the RTSP port); rtsp: defaults to the RTSP port.'),
    path: rtspPath.optional(),
  })
  .strict()
  .meta({ id: 'NvrTestRequest' });

export const proposedTestRequest = z
  .object({
    kind: probeKind.default('rtsp'),
    host: z
      .string()
      .min(1)
      .max(253)
      .regex(/^[A-Za-z0-9.:\-[\]]+$/, 'must be a DNS name or an IP address')
      .describe('The public host of the proposed NVR (its school router).'),
    rtspPort: port.default(554),
    onvifPort: port.optional(),
    port: port.optional().describe('tcp and rtsp: the rtspPort or the onvifPort (default the rtspPort).'),
    path: rtspPath.optional(),
    credentials: z
      .object({ username: z.string().min(1).max(256), password: z.string().min(1).max(256) })
      .strict()
      .optional()
      .describe('Used for this one probe only: never stored, logged or audited.'),
  })
  .strict()
  .meta({ id: 'ProposedTestRequest' });

export const connectionTest = z
  .discriminatedUnion('kind', [tcpResultSchema, rtspResultSchema, onvifResultSchema])
  .describe('What the probe sidecar of the serving media node found; reason Ok, Refused, Timeout, AuthFailed, NotAllowlisted, DnsFailed, ProtocolError or Unreachable.')
  .meta({ id: 'ConnectionTest' });

export const agentTokenParams = z.object({ schoolId: resourceId('school'), tokenId: z.uuid('must be an agent token id (UUID)') });
export const issueAgentTokenRequest = z
  .object({
    label: z.string().trim().min(1, 'required').max(80, 'at most 80 characters'),
    ttlHours: z.number().int('whole hours').min(1, 'at least 1').max(MAX_AGENT_TOKEN_HOURS, `at most ${MAX_AGENT_TOKEN_HOURS}`).default(DEFAULT_AGENT_TOKEN_HOURS),
  })
  .meta({ id: 'IssueAgentTokenRequest' });
export const agentToken = z
  .object({
    id: z.string(),
    schoolId: z.string(),
    label: z.string(),
    issuedBy: z.string(),
    createdAt: z.string(),
    expiresAt: z.string(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  })
  .meta({ id: 'AgentToken' });
export const issuedAgentToken = agentToken.extend({ token: z.string() }).meta({ id: 'IssuedAgentToken' });
export const agentTokenList = z.object({ items: z.array(agentToken) });

export const faceIdDeviceParams = z.object({ schoolId: resourceId('school'), name: resourceId('FaceID device') });
export const faceIdActivity = z
  .object({ schoolId: z.string(), device: z.string(), lastReceivedAt: z.string().nullable(), lastEventAt: z.string().nullable() })
  .meta({ id: 'FaceIdActivity' });
export const webhookCredentialRequest = z
  .object({
    overlapHours: z
      .number()
      .min(0, 'at least 0')
      .max(168, 'at most 168')
      .default(24)
      .describe('On rotation, how long the previous token keeps working while the terminal is reconfigured.'),
  })
  .strict()
  .meta({ id: 'WebhookCredentialRequest' });
export const webhookCredential = z
  .object({
    schoolId: z.string(),
    deviceId: z.string(),
    vendor: z.enum(['hikvision', 'zkteco', 'dahua']),
    token: z.string().nullable().describe('Shown once; the webhook keeps only a keyed hash. Null for ZKTeco, whose ADMS protocol has no place for a secret.'),
    push: z
      .object({
        protocol: z.enum(['http', 'https']),
        host: z.string(),
        port: z.number().int(),
        urls: z.record(z.string(), z.string()).describe('Hikvision: in/out (the directions the device records); Dahua: upload; ZKTeco: server (ADMS appends iclock/...).'),
        serialNumber: z.string().optional().describe('ZKTeco: the serial number the device reports.'),
        sourceAddresses: z.array(z.string()).optional().describe("ZKTeco: the school's faceIdSourceAddresses; pushes from elsewhere, or with none declared, are refused."),
      })
      .describe("The vendor's own push settings."),
    rotated: z.boolean(),
    previousValidUntil: z.string().nullable(),
  })
  .meta({ id: 'WebhookCredential' });
