// How every media node's pod is placed and its certificate issued, from the operator's environment (the chart's values).
import { z } from 'zod';
import { certificateIssuerRef } from '../crds/kinds/media-node.js';
import type { CertificateIssuer } from './core/media-tls.js';
import type { Toleration } from './workload.js';

export interface MediaSettings {
  certificateIssuer?: CertificateIssuer;
  tolerations?: Toleration[];
  nodeSelector?: Record<string, string>;
}

const toleration = z
  .object({
    key: z.string().min(1),
    operator: z.enum(['Equal', 'Exists']).default('Equal'),
    value: z.string().optional(),
    effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
  })
  .strict();

function parseJson<T>(name: string, text: string, schema: z.ZodType<T>): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${name} must be JSON`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new Error(`${name}: ${parsed.error.issues[0]!.path.join('.') || 'value'} ${parsed.error.issues[0]!.message}`);
  return parsed.data;
}

/**
 * POSBON_CERT_ISSUER is `ClusterIssuer/<name>` or `Issuer/<name>`; POSBON_MEDIA_TOLERATIONS a JSON list of
 * tolerations; POSBON_MEDIA_NODE_SELECTOR a JSON object of labels.
 */
export function mediaSettings(env: NodeJS.ProcessEnv): MediaSettings {
  const settings: MediaSettings = {};
  if (env.POSBON_CERT_ISSUER) {
    const [kind, name, extra] = env.POSBON_CERT_ISSUER.split('/');
    const issuer = certificateIssuerRef.safeParse({ kind, name });
    if (extra !== undefined || !issuer.success) throw new Error('POSBON_CERT_ISSUER must be ClusterIssuer/<name> or Issuer/<name>');
    settings.certificateIssuer = issuer.data;
  }
  if (env.POSBON_MEDIA_TOLERATIONS) settings.tolerations = parseJson('POSBON_MEDIA_TOLERATIONS', env.POSBON_MEDIA_TOLERATIONS, z.array(toleration));
  if (env.POSBON_MEDIA_NODE_SELECTOR) {
    settings.nodeSelector = parseJson('POSBON_MEDIA_NODE_SELECTOR', env.POSBON_MEDIA_NODE_SELECTOR, z.record(z.string().min(1), z.string()));
  }
  return settings;
}
