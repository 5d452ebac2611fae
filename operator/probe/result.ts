// What a probe answers: one shape shared by the sidecar, its client, the operator and the API.
import { z } from 'zod';

export const probeReasons = ['Ok', 'Refused', 'Timeout', 'AuthFailed', 'NotAllowlisted', 'DnsFailed', 'ProtocolError', 'Unreachable', 'TooLarge'] as const;
export const probeReasonSchema = z.enum(probeReasons);
export type ProbeReason = z.infer<typeof probeReasonSchema>;

const base = {
  nvr: z.string(),
  node: z.string(),
  reason: probeReasonSchema,
  /** A sentence a person can act on; never contains credentials. */
  message: z.string(),
  /** ISO time the probe started. */
  at: z.string(),
  /** The checked address the probe connected to, when it got that far. */
  address: z.string().optional(),
  /** Milliseconds from connect to the answer that decided the reason. */
  latencyMs: z.number().optional(),
};

export const tcpResultSchema = z.object({ ...base, kind: z.literal('tcp'), port: z.number() });

export const rtspStreamSchema = z.object({
  codec: z.string(),
  payloadType: z.number().optional(),
  width: z.number().optional(),
  height: z.number().optional(),
});

export const rtspResultSchema = z.object({
  ...base,
  kind: z.literal('rtsp'),
  port: z.number(),
  path: z.string(),
  status: z.number().optional(),
  server: z.string().optional(),
  streams: z.array(rtspStreamSchema).optional(),
});

export const onvifStreamSchema = z.object({
  profileToken: z.string(),
  profileName: z.string().optional(),
  /** Path and query of the stream URI, without host or credentials: the media node pulls it from the NVR's public host. */
  path: z.string().optional(),
  rtspPort: z.number().optional(),
  codec: z.string().optional(),
  width: z.number().optional(),
  height: z.number().optional(),
});

export const onvifCameraSchema = z.object({
  id: z.string(),
  name: z.string(),
  main: onvifStreamSchema,
  sub: onvifStreamSchema.optional(),
});

export const onvifDeviceSchema = z.object({
  manufacturer: z.string().optional(),
  model: z.string().optional(),
  firmwareVersion: z.string().optional(),
  serialNumber: z.string().optional(),
  hardwareId: z.string().optional(),
});

export const onvifResultSchema = z.object({
  ...base,
  kind: z.literal('onvif'),
  port: z.number(),
  device: onvifDeviceSchema.optional(),
  cameras: z.array(onvifCameraSchema).optional(),
});

export type TcpResult = z.infer<typeof tcpResultSchema>;
export type RtspStream = z.infer<typeof rtspStreamSchema>;
export type RtspResult = z.infer<typeof rtspResultSchema>;
export type OnvifStream = z.infer<typeof onvifStreamSchema>;
export type OnvifCamera = z.infer<typeof onvifCameraSchema>;
export type OnvifDevice = z.infer<typeof onvifDeviceSchema>;
export type OnvifResult = z.infer<typeof onvifResultSchema>;
export type ProbeResult = TcpResult | RtspResult | OnvifResult;

/** A probe that ended early; carries the reason into the result. */
export class ProbeFailure extends Error {
  constructor(
    readonly reason: Exclude<ProbeReason, 'Ok'>,
    message: string,
  ) {
    super(message);
  }
}

/** A proposed NVR's permission to be probed (see ticket.ts) and its credentials, used once and never logged. */
const proposed = {
  ticket: z.string().min(1).max(4096).optional(),
  credentials: z.object({ username: z.string().min(1).max(256), password: z.string().min(1).max(256) }).strict().optional(),
};

export const tcpRequestSchema = z.object({ nvr: z.string(), port: z.number().int().min(1).max(65535), ticket: proposed.ticket }).strict();
export const rtspRequestSchema = z
  .object({
    nvr: z.string(),
    /** Defaults to the NVR's declared RTSP port. */
    port: z.number().int().min(1).max(65535).optional(),
    /** Stream path on the NVR, e.g. `Streaming/Channels/101`; defaults to the root. */
    path: z
      .string()
      .max(512)
      .regex(/^[A-Za-z0-9_\-./?=&]*$/, 'may hold only letters, digits and _-./?=&')
      .optional(),
    ...proposed,
  })
  .strict();
export const onvifRequestSchema = z.object({ nvr: z.string(), ...proposed }).strict();

export type TcpRequest = z.infer<typeof tcpRequestSchema>;
export type RtspRequest = z.infer<typeof rtspRequestSchema>;
export type OnvifRequest = z.infer<typeof onvifRequestSchema>;
