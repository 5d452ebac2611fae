import { z } from 'zod';
import { tunnelRange } from '../schema/tunnel.js';
import { conditions, dnsLabel, dnsSubdomain, httpsUrl, observedGeneration, port, publicIpv4 } from '../schema/fields.js';

/** A cert-manager issuer: an Issuer in the media namespace or a ClusterIssuer. */
export const certificateIssuerRef = z
  .object({
    name: dnsSubdomain('Name of the issuer.'),
    kind: z.enum(['Issuer', 'ClusterIssuer']).default('ClusterIssuer').describe('Issuer (in the media namespace) or ClusterIssuer.'),
    group: dnsSubdomain('API group of the issuer.').default('cert-manager.io'),
  })
  .strict()
  .describe('The cert-manager issuer that signs the node\'s certificate.');

const toleration = z
  .object({
    key: z.string().min(1).max(316).describe('Taint key the toleration matches.'),
    operator: z.enum(['Equal', 'Exists']).default('Equal').describe('Equal matches the value; Exists any value.'),
    value: z.string().max(63).optional().describe('Taint value, for Equal.'),
    effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional().describe('Taint effect; every effect when unset.'),
  })
  .strict()
  .describe('A taint the node\'s MediaMTX pod tolerates.');


export const mediaNodeSpec = z
  .object({
    region: dnsLabel('Region of the node, matched against School.spec.region (for example fsn1, hel1).'),
    egressIPs: z
      .array(publicIpv4('A static public IPv4 the node pulls streams from.'))
      .min(1)
      .max(8)
      .meta({ 'x-kubernetes-list-type': 'set' })
      .describe('The static egress IPv4s that school routers must allow for RTSP and ONVIF.'),
    webrtcBaseUrl: httpsUrl('Public base URL of the node\'s WebRTC (WHEP) server.'),
    hlsBaseUrl: httpsUrl('Public base URL of the node\'s HLS server.'),
    capacityWeight: z.number().int().min(1).max(1000).default(100).describe('Relative share of cameras this node takes in shard assignment.'),
    maxCameras: z.number().int().min(1).max(100000).default(5000).describe('Hard limit of cameras assigned to the node; more is reported, never truncated.'),
    cordoned: z.boolean().default(false).describe('A cordoned node keeps pinned schools but takes no new assignment.'),
    tunnel: z
      .object({
        addressRange: tunnelRange('Range the node takes its own tunnel address (the first) and its schools\' gateway addresses from.').default('10.255.0.0/20'),
        listenPort: port('UDP port of the node\'s WireGuard endpoint on its egress IPs.').default(51820),
      })
      .strict()
      .optional()
      .describe('WireGuard endpoint for tunnel-mode schools; the defaults apply when unset.'),
    tls: z
      .object({ issuerRef: certificateIssuerRef.optional() })
      .strict()
      .optional()
      .describe('TLS of WHEP and HLS: a cert-manager Certificate for the hosts of the base URLs; the operator\'s issuer applies when unset.'),
    placement: z
      .object({
        tolerations: z.array(toleration).max(16).optional().describe('Taints of dedicated machines the pod tolerates, beside the node\'s own.'),
        nodeSelector: z
          .record(z.string().min(1).max(316), z.string().max(63))
          .optional()
          .describe('Labels the machine must carry, beside posbon.io/media-node.'),
      })
      .strict()
      .optional()
      .describe('Where the node\'s MediaMTX pod may run; added to the operator\'s own placement settings.'),
  })
  .strict()
  .describe('A MediaMTX server on a cloud machine with static egress IPs: one shard of the fleet.');

export const mediaNodeStatus = z
  .object({
    conditions: conditions.optional(),
    observedGeneration: observedGeneration.optional(),
    schoolCount: z.number().int().min(0).optional().describe('Schools assigned to the node.'),
    cameraCount: z.number().int().min(0).optional().describe('Cameras published by the node.'),
    configHash: z.string().max(128).optional().describe('Content hash of the rendered MediaMTX config.'),
    configMapName: z.string().max(253).optional().describe('The ConfigMap holding the rendered MediaMTX config.'),
    tunnel: z
      .object({
        publicKey: z.string().max(44).describe('The node\'s WireGuard public key; its private key stays in a Secret.'),
        endpoint: z.string().max(64).describe('host:port gateways dial.'),
        address: z.string().max(15).describe('The node\'s own tunnel address.'),
        peers: z.number().int().min(0).describe('Tunnel schools the node serves.'),
        stalePeers: z.number().int().min(0).optional().describe('Peers whose latest handshake is stale or missing.'),
      })
      .strict()
      .optional()
      .describe('The node\'s WireGuard endpoint, present once it serves a tunnel school.'),
  })
  .strict()
  .describe('Observed state of the media node.');
