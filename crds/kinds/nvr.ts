import { z } from 'zod';
import { conditions, dnsLabel, observedGeneration, port, publicHost, secretRef } from '../schema/fields.js';
import { withRules } from '../schema/rules.js';
import { lanAddress } from '../schema/tunnel.js';

const rtspPath = withRules(z.string().min(1).max(512).describe('Path and query of the camera\'s RTSP stream on the NVR, without credentials (/Streaming/Channels/101).'), [
  {
    cel: "self.startsWith('/') && !self.contains('@') && !self.contains('://') && !self.contains(' ')",
    message: 'must start with / and hold no credentials, scheme or spaces',
    check: (v) => v.startsWith('/') && !v.includes('@') && !v.includes('://') && !v.includes(' '),
  },
]);

export const camera = z
  .object({
    id: dnsLabel('Camera id, unique in the NVR; part of the stream path school/nvr/camera.'),
    name: z.string().min(1).max(200).describe('Human-readable camera name.'),
    enabled: z.boolean().default(true).describe('A disabled camera is not published.'),
    stream: z.enum(['main', 'sub']).default('main').describe('Which stream to publish: main (full resolution) or sub (lighter, H.264 on most NVRs).'),
    rtspPath: rtspPath.optional(),
    channel: z.number().int().min(1).max(256).optional().describe('NVR channel number, used to derive the RTSP path from the vendor when rtspPath is unset.'),
  })
  .strict()
  .describe('A camera the NVR serves.');

const TUNNEL = "(has(self.connectivity) && self.connectivity == 'tunnel')";

export const nvrSpec = withRules(
  z
    .object({
      schoolRef: dnsLabel('Name of the School in the same namespace. Immutable.'),
      vendor: z.enum(['hikvision', 'dahua', 'uniview', 'onvif']).describe('NVR vendor, which decides default RTSP paths.'),
      connectivity: z
        .enum(['public', 'tunnel'])
        .default('public')
        .describe('public: the school router forwards the NVR\'s ports to the media node\'s egress IPs; tunnel: the media node reaches the NVR through the school\'s WireGuard tunnel.'),
      publicHost: publicHost('Public IP or DNS name of the school router that forwards to the NVR (public mode only).').optional(),
      publicRtspPort: port('Public RTSP port on the router.').default(554),
      publicOnvifPort: port('Public ONVIF (HTTP) port on the router.').optional(),
      publicHttpPort: port('Public HTTP port of the NVR web interface.').optional(),
      tunnel: z
        .object({
          host: lanAddress('Address of the NVR on the school LAN; it must sit inside the school\'s tunnel exposure.'),
          rtspPort: port('RTSP port of the NVR on the LAN.').default(554),
          onvifPort: port('ONVIF (HTTP) port of the NVR on the LAN.').optional(),
        })
        .strict()
        .optional()
        .describe('Where the media node reaches the NVR through the school\'s tunnel (tunnel mode only).'),
      credentialsSecretRef: secretRef('Secret with keys username and password; credentials never appear inline.'),
      onvifSync: z.boolean().default(false).describe('Discover cameras over ONVIF from the media node and publish them.'),
      cameras: z
        .array(camera)
        .max(256)
        // The API server enforces this through the list's map key; locally it is a check of its own.
        .superRefine((cameras, ctx) => {
          const seen = new Set<string>();
          cameras.forEach((c, i) => {
            if (seen.has(c.id)) ctx.addIssue({ code: 'custom', message: `Duplicate value: camera id ${c.id}`, path: [i] });
            seen.add(c.id);
          });
        })
        .default([])
        .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['id'] })
        .describe('Cameras to publish; with onvifSync, entries refine the discovered ones.'),
      lan: z
        .object({
          localIp: z.string().max(45).optional().describe('Address of the NVR on the school LAN (informational).'),
          mac: z.string().regex(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/).optional().describe('MAC address, lower case with colons.'),
          serial: z.string().max(128).optional().describe('Serial number reported by the device.'),
          model: z.string().max(128).optional().describe('Model reported by the device.'),
        })
        .strict()
        .optional()
        .describe('What the LAN agent saw; informational only.'),
    })
    .strict()
    .describe('An NVR (or a single IP camera) behind a school router.'),
  [
    {
      cel: `${TUNNEL} || has(self.publicHost)`,
      message: 'is required in public mode',
      fieldPath: '.publicHost',
      check: (s) => s.connectivity === 'tunnel' || s.publicHost !== undefined,
    },
    {
      cel: `!${TUNNEL} || !has(self.publicHost)`,
      message: 'must be unset in tunnel mode: the media node reaches the NVR through the school\'s tunnel',
      fieldPath: '.publicHost',
      check: (s) => s.connectivity !== 'tunnel' || s.publicHost === undefined,
    },
    {
      cel: `!${TUNNEL} || has(self.tunnel)`,
      message: 'is required in tunnel mode',
      fieldPath: '.tunnel',
      check: (s) => s.connectivity !== 'tunnel' || s.tunnel !== undefined,
    },
    {
      cel: `${TUNNEL} || !has(self.tunnel)`,
      message: 'must be unset in public mode',
      fieldPath: '.tunnel',
      check: (s) => s.connectivity === 'tunnel' || s.tunnel === undefined,
    },
    {
      cel: "!has(self.publicOnvifPort) || self.publicOnvifPort != self.publicRtspPort",
      message: 'must differ from publicRtspPort',
      fieldPath: '.publicOnvifPort',
      check: (s) => s.publicOnvifPort === undefined || s.publicOnvifPort !== s.publicRtspPort,
    },
  ],
);

export const discoveredCamera = z
  .object({
    id: z.string().max(63).describe('Camera id derived from the ONVIF profile or channel.'),
    name: z.string().max(200).optional().describe('Name the device reports.'),
    mainPath: z.string().max(512).optional().describe('RTSP path of the main stream, without credentials.'),
    subPath: z.string().max(512).optional().describe('RTSP path of the sub stream, without credentials.'),
    codec: z.string().max(32).optional().describe('Codec of the main stream (H264, H265).'),
    subCodec: z.string().max(32).optional().describe('Codec of the sub stream.'),
    width: z.number().int().min(0).optional().describe('Main stream width in pixels.'),
    height: z.number().int().min(0).optional().describe('Main stream height in pixels.'),
  })
  .strict()
  .describe('A camera found by ONVIF sync.');

export const nvrStatus = z
  .object({
    conditions: conditions.optional(),
    observedGeneration: observedGeneration.optional(),
    mediaNode: z.string().max(63).optional().describe('The media node that serves and probes the NVR.'),
    reachability: z
      .object({
        reachable: z.boolean().describe('Whether the last probe reached the NVR.'),
        reason: z.string().max(64).describe('Ok, Refused, Timeout, AuthFailed, NotAllowlisted and so on.'),
        latencyMs: z.number().int().min(0).optional().describe('Round trip of the last probe.'),
        node: z.string().max(63).describe('The media node the probe left from.'),
        checkedAt: z.string().datetime().describe('When the probe ran.'),
      })
      .strict()
      .optional()
      .describe('Result of the last probe from the media node.'),
    discoveredCameras: z.array(discoveredCamera).max(256).optional().describe('Cameras found by ONVIF sync.'),
    cameraCount: z.number().int().min(0).optional().describe('Cameras published.'),
  })
  .strict()
  .describe('Observed state of the NVR.');
