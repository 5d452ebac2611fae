// What talking to a device found: one shape shared by the probe sidecar, its client, the operator, the API and the agent.
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
