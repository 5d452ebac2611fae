// The policies `verify` runs, in report order.
// No allowlist policy: schools in Git carry no allowlist (School.spec has none); the operator derives
// status.allowlistIPs from the assigned node's egress IPs, and `render` shows every school's allowlist in placements.yaml.
import type { Policy } from '../policy.js';
import { fleetLayout } from './layout.js';
import { mediaNodeRemovedOnlyWhenDrained } from './media-node-drained.js';
import { namesWithinOwnSchool } from './names-within-own-school.js';
import { noCredentialInGit } from './no-credential.js';
import { nvrCredentialsOfOwnSchool } from './nvr-credentials-of-own-school.js';
import { publicHostIsPublic } from './public-host.js';
import { referencesResolve } from './references.js';
import { schemaValid } from './schema.js';
import { shardsWithinSize } from './shards.js';
import { uniqueFaceIdSerials } from './unique-faceid-serials.js';
import { uniqueNames } from './unique-names.js';
import { uniquePaths } from './unique-paths.js';
import { yamlParses } from './yaml-parses.js';
import { tunnelNvrExposed } from './tunnel-nvr-exposed.js';
import { gatewayKeyUnique } from './gateway-key-unique.js';

export const FLEET_POLICIES: readonly Policy[] = [
  yamlParses,
  schemaValid,
  noCredentialInGit,
  uniqueNames,
  fleetLayout,
  referencesResolve,
  namesWithinOwnSchool,
  nvrCredentialsOfOwnSchool,
  uniqueFaceIdSerials,
  publicHostIsPublic,
  uniquePaths,
  shardsWithinSize,
  mediaNodeRemovedOnlyWhenDrained,
  tunnelNvrExposed,
  gatewayKeyUnique,
];
