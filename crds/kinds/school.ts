import { z } from 'zod';
import { conditions, dnsLabel, ipOrCidr, observedGeneration, timezone } from '../schema/fields.js';

export const schoolSpec = z
  .object({
    displayName: z.string().min(1).max(200).describe('Human-readable name of the school.'),
    region: dnsLabel('Region whose media nodes serve the school.'),
    timezone: timezone('IANA time zone of the school (Asia/Tashkent), used for local device times.'),
    mediaNodeRef: dnsLabel('Pins the school to this MediaNode instead of the computed assignment.').optional(),
    networkMode: z
      .enum(['public', 'tunnel'])
      .default('public')
      .describe('public: the router forwards RTSP/ONVIF to the media node\'s egress IPs; tunnel: reserved for CGNAT sites.'),
    faceIdSourceAddresses: z
      .array(ipOrCidr('An address or CIDR the school\'s FaceID terminals push from (its router\'s public address).'))
      .max(32)
      .optional()
      .describe('Where the school\'s terminals push from: the only factor besides the serial number for ZKTeco devices, a second factor for the others. Without it ZKTeco pushes are refused.'),
  })
  .strict()
  .describe('A school whose NVRs and terminals Posbon serves.');

export const schoolStatus = z
  .object({
    conditions: conditions.optional(),
    observedGeneration: observedGeneration.optional(),
    mediaNode: z.string().max(63).optional().describe('The media node serving the school.'),
    allowlistIPs: z.array(z.string().max(15)).max(8).optional().describe('Egress IPs the school\'s router must allow.'),
    webrtcBaseUrl: z.string().max(2048).optional().describe('WebRTC base URL of the school\'s streams.'),
    hlsBaseUrl: z.string().max(2048).optional().describe('HLS base URL of the school\'s streams.'),
    cameraCount: z.number().int().min(0).optional().describe('Cameras of the school published by its node.'),
  })
  .strict()
  .describe('Observed state of the school.');
