// An Nvr may reference only the credential Secret the API makes for it (ADR 0002): `nvr-<school>-<nvr>-<hash>`.
import { credentialsSecretOf, schoolOf } from '../../fleet-repo/fields.js';
import { resourceId } from '../../fleet-repo/tree.js';
import type { Policy, Violation } from '../policy.js';

const POLICY = 'nvr-credentials-of-own-school';

/** The name a credential Secret of this NVR starts with, as api/admin/proposals/credentials-store.ts builds it. */
export function credentialsSecretPrefix(school: string, nvr: string): string {
  const short = nvr.startsWith(`${school}-`) ? nvr.slice(school.length + 1) : nvr;
  return `nvr-${school}-${short}-`;
}

export const nvrCredentialsOfOwnSchool: Policy = {
  name: POLICY,
  description: "an Nvr's spec.credentialsSecretRef names a credentials Secret of that NVR in its own school, never another school's",
  check: ({ head }) =>
    head.resources.flatMap((r): Violation[] => {
      if (r.kind !== 'Nvr') return [];
      const school = schoolOf(r);
      const secret = credentialsSecretOf(r);
      if (!school || !secret || !r.name) return [];
      const prefix = credentialsSecretPrefix(school, r.name);
      // The hash is the last segment: a longer name under the prefix would be another NVR's Secret.
      if (secret.startsWith(prefix) && /^[0-9a-f]{8,64}$/.test(secret.slice(prefix.length))) return [];
      return [{ policy: POLICY, path: r.path, resource: resourceId(r), reason: `spec.credentialsSecretRef ${secret} is not a credentials Secret of ${r.name} in school ${school}: its name must be ${prefix}<hash>` }];
    }),
};
