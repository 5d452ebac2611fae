// What a caller asks the probe sidecar: the bodies of `POST /v1/probes/{tcp,rtsp,onvif}`.
import { z } from 'zod';

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
