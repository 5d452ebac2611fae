import { z } from 'zod';
import { conditions, dnsLabel, observedGeneration, secretRef } from '../schema/fields.js';

export const faceIdDeviceSpec = z
  .object({
    schoolRef: dnsLabel('Name of the School in the same namespace. Immutable.'),
    vendor: z.enum(['hikvision', 'zkteco', 'dahua']).describe('Terminal vendor, which decides the push format.'),
    direction: z.enum(['in', 'out', 'both']).describe('Which passes the terminal records: entry, exit or both.'),
    serialNumber: z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/).describe('Serial number the terminal reports; identifies ZKTeco devices.'),
    lan: z
      .object({
        localIp: z.string().max(45).describe('Address of the terminal on the school LAN.'),
        mac: z.string().regex(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/).optional().describe('MAC address, lower case with colons.'),
        model: z.string().max(128).optional().describe('Model reported by the device.'),
      })
      .strict()
      .describe('Where the agent found the terminal.'),
    webhookSecretRef: secretRef('Secret holding the signing secret of a sender that signs its requests (Standard Webhooks).').optional(),
  })
  .strict()
  .describe('A face-recognition terminal at a school door that pushes attendance events.');

export const faceIdDeviceStatus = z
  .object({
    conditions: conditions.optional(),
    observedGeneration: observedGeneration.optional(),
    provisioned: z.boolean().optional().describe('Whether the terminal was pointed at the webhook.'),
    lastEventAt: z.string().datetime().optional().describe('When the last event arrived.'),
  })
  .strict()
  .describe('Observed state of the terminal.');
