// The two-person rule, decided from the pull request's own evidence rather than trusting the host's merge button.
import type { Commit, PullRequest, Review } from '../hosts/git-host.js';
import type { Violation } from './policy.js';

export interface ReviewEvidence {
  pullRequest: PullRequest;
  reviews: Review[];
  commits: Commit[];
  /** The account that opens proposals on people's behalf; it never counts as a reviewer. */
  bot: string;
  requiredApprovals: number;
}

export interface TwoPersonVerdict {
  violations: Violation[];
  /** Reviewers whose approval counts. */
  approvers: string[];
  /** Approvals that do not count, each with why. */
  discounted: { reviewer: string; why: string }[];
}

const POLICY = 'two-person-rule';

/** People who wrote the change: whoever opened it and whoever authored its commits. */
export function changeAuthors(e: Pick<ReviewEvidence, 'pullRequest' | 'commits' | 'bot'>): Set<string> {
  const authors = new Set([e.pullRequest.author.toLowerCase()]);
  for (const c of e.commits) if (c.authorLogin) authors.add(c.authorLogin.toLowerCase());
  authors.delete(e.bot.toLowerCase());
  return authors;
}

export function checkTwoPersonRule(e: ReviewEvidence): TwoPersonVerdict {
  const head = e.pullRequest.head.sha;
  const authors = changeAuthors(e);
  const bot = e.bot.toLowerCase();
  // A reviewer's latest decisive review stands; comments do not withdraw an approval.
  const latest = new Map<string, Review>();
  for (const r of [...e.reviews].sort((a, b) => a.id - b.id)) {
    if (r.state === 'COMMENTED' || r.state === 'PENDING') continue;
    latest.set(r.author.toLowerCase(), r);
  }
  const approvers: string[] = [];
  const discounted: TwoPersonVerdict['discounted'] = [];
  const violations: Violation[] = [];
  for (const [reviewer, r] of [...latest].sort(([a], [b]) => a.localeCompare(b))) {
    if (r.state === 'CHANGES_REQUESTED' && !r.dismissed) {
      violations.push({ policy: POLICY, reason: `${r.author} requested changes` });
      continue;
    }
    if (r.state !== 'APPROVED') continue;
    const why =
      r.dismissed ? 'dismissed'
      : r.stale || r.commitId !== head ? `approved ${r.commitId.slice(0, 7)}, not the head ${head.slice(0, 7)}`
      : reviewer === bot ? 'the bot that opened the change'
      : authors.has(reviewer) ? 'an author of the change'
      : null;
    if (why) discounted.push({ reviewer: r.author, why });
    else approvers.push(r.author);
  }
  if (approvers.length < e.requiredApprovals) {
    const notCounted = discounted.map((d) => `${d.reviewer} (${d.why})`).join(', ');
    violations.push({
      policy: POLICY,
      reason:
        `${e.requiredApprovals} approvals of head ${head.slice(0, 7)} from people other than the authors (${[...authors].join(', ')}) ` +
        `and the bot are required; found ${approvers.length}${approvers.length ? ` (${approvers.join(', ')})` : ''}` +
        (notCounted ? `; not counted: ${notCounted}` : ''),
    });
  }
  return { violations, approvers, discounted };
}
