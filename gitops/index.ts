// gitops' public entry point: what the API and pulumi use of the write path (reading the fleet repository, proposing
// a change as a pull request, its render and diff, the Git hosts, the two-person rule); nothing else of gitops/ is
// imported from outside.
export { proposeFleetChange } from './fleet-change.js';
export { schoolOf } from './fleet-repo/fields.js';
export { typedFleet } from './fleet-repo/model.js';
export { parseFleetTree, readFleetTree, type FleetResource } from './fleet-repo/tree.js';
export { HostError, type GitHost, type Person, type PullRequest } from './hosts/git-host.js';
export { GiteaHost } from './hosts/gitea.js';
export { GitHubHost } from './hosts/github.js';
export { isFleetFile, readBase, type ProposeResult } from './propose.js';
export { renderDiff } from './render/diff.js';
export { renderValidFleet } from './render/render.js';
export { checkTwoPersonRule } from './verify/two-person-rule.js';
