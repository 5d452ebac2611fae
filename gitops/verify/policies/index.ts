// The policies `verify` runs, in report order. Schema and shard policies join this list when crds/ and the operator core land.
import type { Policy } from '../policy.js';
import { fleetLayout } from './layout.js';
import { mediaNodeRemovedOnlyWhenDrained } from './media-node-drained.js';
import { noCredentialInGit } from './no-credential.js';
import { publicHostIsPublic } from './public-host.js';
import { referencesResolve } from './references.js';
import { uniqueNames } from './unique-names.js';
import { yamlParses } from './yaml-parses.js';

export const FLEET_POLICIES: readonly Policy[] = [
  yamlParses,
  noCredentialInGit,
  uniqueNames,
  fleetLayout,
  referencesResolve,
  publicHostIsPublic,
  mediaNodeRemovedOnlyWhenDrained,
];
