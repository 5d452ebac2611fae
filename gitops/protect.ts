// The fleet repository's rules: nothing reaches the default branch without two independent approvals and a passing verify.
import { ConflictError, InputError } from '../lib/errors/index.js';
import { HostError, type BotIdentity, type GitHost, type ProtectionRule } from './hosts/git-host.js';
import { PROPOSAL_BRANCH_PREFIX } from './verify/two-person-rule.js';
import { verifyWorkflows, type WorkflowFile } from './workflows/verify-workflow.js';

export const VERIFY_CONTEXT = 'posbon/verify';

/** Files that decide how changes are judged: CI workflows (which run verify) and the owners who review. */
export const PROTECTED_FILES = ['.gitea/workflows/**', '.github/workflows/**', '.gitea/CODEOWNERS', '.github/CODEOWNERS', 'CODEOWNERS', 'docs/CODEOWNERS', '.posbon/**'];

export const FLEET_PROTECTION = {
  requiredApprovals: 2,
  dismissStaleApprovals: true,
  blockOnRejectedReviews: true,
  requireCodeOwnerReviews: true,
  requiredStatusChecks: [VERIFY_CONTEXT],
  protectedFiles: PROTECTED_FILES,
} as const satisfies Omit<ProtectionRule, 'approvers' | 'checksFrom'>;

export interface CodeOwners {
  /** Owners of everything (`*`). */
  fleet: string[];
  /** Owners of media nodes, who must also review those changes where the host supports it. */
  mediaNodes?: string[];
}

const handle = (owner: string) => (owner.startsWith('@') ? owner : `@${owner}`);
const login = (owner: string) => owner.replace(/^@/, '');

export function codeownersFile(owners: CodeOwners): string {
  if (owners.fleet.length === 0) throw new InputError('owners', 'at least one owner of the fleet is required');
  const lines = ['# Reviewers of fleet changes; written by posbon-gitops protect.', `* ${owners.fleet.map(handle).join(' ')}`];
  if (owners.mediaNodes?.length) lines.push(`clusters/*/media-nodes/ ${owners.mediaNodes.map(handle).join(' ')}`);
  return `${lines.join('\n')}\n`;
}

/** The default branch's rule: only owners approve, only the bot's verify status counts. */
export function fleetProtection(owners: CodeOwners, bot: BotIdentity): ProtectionRule {
  const approvers = [...new Set([...owners.fleet, ...(owners.mediaNodes ?? [])].map(login))].filter((o) => !o.includes('/'));
  return { ...FLEET_PROTECTION, requiredStatusChecks: [...FLEET_PROTECTION.requiredStatusChecks], protectedFiles: [...PROTECTED_FILES], approvers, checksFrom: bot };
}

export interface ProtectResult {
  branch: string;
  rule: ProtectionRule;
  /** Branches only the bot may write. */
  botBranches: string;
  /** The CI workflows that post posbon/verify, as written on the branch. */
  workflows: WorkflowFile[];
}

export async function protect(host: GitHost, owners: CodeOwners, bot: BotIdentity, branch?: string): Promise<ProtectResult> {
  if (!bot.login) throw new InputError('bot', 'the login that opens proposals is required');
  if (host.kind === 'github' && bot.appId === undefined) {
    throw new InputError('bot', 'on GitHub the bot is an App, whose id pins posbon/verify and the proposal branches to it (--bot-app-id)');
  }
  const target = branch ?? (await host.defaultBranch());
  const rule = fleetProtection(owners, bot);
  const workflows = verifyWorkflows(host.kind);
  try {
    // CODEOWNERS and the workflows first: once the branch is protected, they change only through a pull request.
    await host.setFileCodeowners(target, codeownersFile(owners));
    const changed = [];
    for (const file of workflows) if ((await host.readFile(target, file.path)) !== file.content) changed.push(file);
    if (changed.length > 0) await host.commitFiles({ branch: target, message: 'Run posbon-gitops verify on every pull request and review', files: changed });
  } catch (error) {
    if (error instanceof HostError && [403, 405, 409, 422].includes(error.status)) {
      throw new ConflictError('branch', `CODEOWNERS or the verify workflows on ${target} differ and the branch refuses direct commits: propose the new files instead (${error.message})`);
    }
    throw error;
  }
  // Proposal branches first: a requester's commit there must come from the bot alone before reviews can mean anything.
  await host.restrictBranchesToBot(PROPOSAL_BRANCH_PREFIX, bot);
  await host.setBranchProtection(target, rule);
  return { branch: target, rule, botBranches: `${PROPOSAL_BRANCH_PREFIX}**`, workflows };
}
