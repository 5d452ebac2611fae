// `verify`: the fleet policies over a tree (and its base), and for a pull request the two-person rule.
import type { GitHost } from '../hosts/git-host.js';
import type { FleetTree } from '../fleet-repo/tree.js';
import { FLEET_POLICIES } from './policies/index.js';
import { runPolicies, type Policy, type Violation } from './policy.js';
import { checkTwoPersonRule, type TwoPersonVerdict } from './two-person-rule.js';

export interface VerifyReport {
  ok: boolean;
  violations: Violation[];
  pullRequest?: { number: number; headSha: string; approvers: string[]; discounted: TwoPersonVerdict['discounted'] };
}

export interface VerifyInput {
  head: FleetTree;
  base?: FleetTree;
  policies?: readonly Policy[];
  pullRequest?: { host: GitHost; number: number; bot: string; requiredApprovals?: number };
}

export async function verify(input: VerifyInput): Promise<VerifyReport> {
  const change = input.base ? { head: input.head, base: input.base } : { head: input.head };
  const violations = runPolicies(input.policies ?? FLEET_POLICIES, change);
  if (!input.pullRequest) return { ok: violations.length === 0, violations };
  const { host, number, bot } = input.pullRequest;
  const pullRequest = await host.getPullRequest(number);
  const [reviews, commits] = await Promise.all([host.listReviews(number), host.listPullRequestCommits(number)]);
  const verdict = checkTwoPersonRule({ pullRequest, reviews, commits, bot, requiredApprovals: input.pullRequest.requiredApprovals ?? 2 });
  violations.push(...verdict.violations);
  return {
    ok: violations.length === 0,
    violations,
    pullRequest: { number, headSha: pullRequest.head.sha, approvers: verdict.approvers, discounted: verdict.discounted },
  };
}
