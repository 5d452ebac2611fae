// The stack's outputs as `pulumi stack output --json` prints them: what the fleet learns about each media node.
import { z } from 'zod';

/** Names a node's pool, on the Kubernetes node, the Hetzner resources and the MediaNode. */
export const POOL_LABEL = 'posbon.io/pool';

/** Labels of a MediaNode made from the stack's outputs: the removal check recognises the stack's nodes by them. */
export const stackMediaNodeLabels = (pool: string): Record<string, string> => ({
  'app.kubernetes.io/managed-by': 'pulumi',
  [POOL_LABEL]: pool,
});

export const nodeOutputSchema = z
  .object({
    name: z.string().min(1),
    pool: z.string().min(1),
    ordinal: z.number().int().min(1),
    location: z.string().min(1),
    region: z.string().min(1),
    serverType: z.string().min(1),
    mediaHostname: z.string().min(1),
    ipv4: z.string().min(1),
    ipv6: z.string().min(1),
    ipv6Network: z.string().min(1),
    capacityWeight: z.number().int(),
    maxCameras: z.number().int(),
  })
  .strict();

export const retiredOutputSchema = z
  .object({ name: z.string().min(1), ipv4: z.string().min(1), ipv6: z.string().min(1) })
  .strict();

export const stackOutputsSchema = z.object({
  nodes: z.array(nodeOutputSchema),
  retired: z.array(retiredOutputSchema).default([]),
});

export type NodeOutput = z.output<typeof nodeOutputSchema>;
export type RetiredOutput = z.output<typeof retiredOutputSchema>;
export type StackOutputs = z.output<typeof stackOutputsSchema>;
