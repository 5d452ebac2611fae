// The fleet repository's rules: nothing reaches the default branch without two independent approvals and a passing verify.
import { ConflictError, InputError } from './errors.js';
import { HostError, type GitHost, type ProtectionRule } from './hosts/git-host.js';

export const VERIFY_CONTEXT = 'posbon/verify';

export const FLEET_PROTECTION: ProtectionRule = {
  requiredApprovals: 2,
  dismissStaleApprovals: true,
  blockOnRejectedReviews: true,
  requireCodeOwnerReviews: true,
  requiredStatusChecks: [VERIFY_CONTEXT],
};

export interface CodeOwners {
  /** Owners of everything (`*`). */
  fleet: string[];
  /** Owners of media nodes, who must also review those changes where the host supports it. */
  mediaNodes?: string[];
}

const handle = (owner: string) => (owner.startsWith('@') ? owner : `@${owner}`);

export function codeownersFile(owners: CodeOwners): string {
  if (owners.fleet.length === 0) throw new InputError('owners: at least one owner of the fleet is required');
  const lines = ['# Reviewers of fleet changes; written by posbon-gitops protect.', `* ${owners.fleet.map(handle).join(' ')}`];
  if (owners.mediaNodes?.length) lines.push(`clusters/*/media-nodes/ ${owners.mediaNodes.map(handle).join(' ')}`);
  return `${lines.join('\n')}\n`;
}

export interface ProtectResult {
  branch: string;
  rule: ProtectionRule;
}

export async function protect(host: GitHost, owners: CodeOwners, branch?: string): Promise<ProtectResult> {
  const target = branch ?? (await host.defaultBranch());
  try {
    // CODEOWNERS first: once the branch is protected, it changes only through a pull request.
    await host.setFileCodeowners(target, codeownersFile(owners));
  } catch (error) {
    if (error instanceof HostError && [403, 405, 409, 422].includes(error.status)) {
      throw new ConflictError(`CODEOWNERS on ${target} differs and the branch refuses direct commits: propose the new file instead (${error.message})`);
    }
    throw error;
  }
  await host.setBranchProtection(target, FLEET_PROTECTION);
  return { branch: target, rule: FLEET_PROTECTION };
}
