import { z } from 'zod';
import { conditions, dnsLabel, ipOrCidr, observedGeneration, timezone } from '../schema/fields.js';
import { withRules } from '../schema/rules.js';
import { lanExposure, wireguardPublicKey } from '../schema/tunnel.js';

export const schoolTunnel = z
  .object({
    publicKey: wireguardPublicKey(
      "WireGuard public key of the school's gateway; the private key never leaves the gateway.",
    ),
    expose: z
      .array(lanExposure('A LAN address or CIDR the gateway may expose to the media node.'))
      .min(1)
      .max(16)
      .meta({ 'x-kubernetes-list-type': 'set' })
      .describe(
        'LAN addresses or CIDRs whose NVRs the gateway exposes; tunnel NVRs of the school must sit inside them.',
      ),
    persistentKeepalive: z
      .number()
      .int()
      .min(10)
      .max(120)
      .default(25)
      .describe("Seconds between the gateway's keepalives, which keep the NAT mapping of the outward tunnel open."),
  })
  .strict()
  .describe(
    "The school's WireGuard gateway: it opens the tunnel outward to its media node, so no port is open at the school.",
  );

export const schoolSpec = withRules(
  z
    .object({
      displayName: z.string().min(1).max(200).describe('Human-readable name of the school.'),
      region: dnsLabel('Region whose media nodes serve the school.'),
      timezone: timezone('IANA time zone of the school (Asia/Tashkent), used for local device times.'),
      mediaNodeRef: dnsLabel('Pins the school to this MediaNode instead of the computed assignment.').optional(),
      networkMode: z
        .enum(['public', 'tunnel'])
        .default('public')
        .describe(
          "public: the router forwards RTSP/ONVIF to the media node's egress IPs; tunnel: the school's gateway opens a WireGuard tunnel to its media node (CGNAT sites).",
        ),
      tunnel: schoolTunnel.optional(),
      faceIdSourceAddresses: z
        .array(ipOrCidr("An address or CIDR the school's FaceID terminals push from (its router's public address)."))
        .max(32)
        .optional()
        .describe(
          "Where the school's terminals push from: the only factor besides the serial number for ZKTeco devices, a second factor for the others. Without it ZKTeco pushes are refused.",
        ),
    })
    .strict()
    .describe('A school whose NVRs and terminals Posbon serves.'),
  [
    {
      cel: "(has(self.networkMode) && self.networkMode == 'tunnel') == has(self.tunnel)",
      message: 'is required in tunnel mode and must be unset in public mode',
      fieldPath: '.tunnel',
      check: (s) => (s.networkMode === 'tunnel') === (s.tunnel !== undefined),
    },
  ],
);

export const schoolTunnelStatus = z
  .object({
    mediaNode: z.string().max(63).describe('The media node the gateway connects to.'),
    address: z.string().max(15).describe("The gateway's address inside the node's tunnel range."),
    endpoint: z.string().max(64).describe("host:port of the node's WireGuard endpoint the gateway dials."),
    nodePublicKey: z.string().max(44).optional().describe("The node's WireGuard public key."),
    lastHandshake: z.string().datetime().optional().describe('Latest handshake the node reported with the gateway.'),
  })
  .strict()
  .describe("Where the school's tunnel ends and how fresh it is.");

export const schoolStatus = z
  .object({
    conditions: conditions.optional(),
    observedGeneration: observedGeneration.optional(),
    mediaNode: z.string().max(63).optional().describe('The media node serving the school.'),
    allowlistIPs: z.array(z.string().max(15)).max(8).optional().describe("Egress IPs the school's router must allow."),
    webrtcBaseUrl: z.string().max(2048).optional().describe("WebRTC base URL of the school's streams."),
    hlsBaseUrl: z.string().max(2048).optional().describe("HLS base URL of the school's streams."),
    cameraCount: z.number().int().min(0).optional().describe('Cameras of the school published by its node.'),
    tunnel: schoolTunnelStatus.optional(),
  })
  .strict()
  .describe('Observed state of the school.');
