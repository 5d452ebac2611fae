// The two-person rule, decided from the pull request's own evidence rather than trusting the host's merge button.
import type { Commit, PullRequest, Review } from '../hosts/git-host.js';
import type { Violation } from './policy.js';

/** Branches `propose` writes; `protect` lets only the bot create or push them. */
export const PROPOSAL_BRANCH_PREFIX = 'posbon/';

/** The trailer the bot writes into each commit it makes for someone: `Requested-by: Name <email>`. */
export const REQUESTED_BY = 'Requested-by';

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
const short = (sha: string) => sha.slice(0, 7);

export function requestedByTrailer(person: { name: string; email: string }): string {
  return `${REQUESTED_BY}: ${person.name} <${person.email}>`;
}

/** The requesters a commit message names in its trailers. */
export function requestersIn(message: string): { name: string; email: string }[] {
  const pattern = new RegExp(`^${REQUESTED_BY}: (.+?) <([^<>\\s]+)>\\s*$`, 'gim');
  return [...message.matchAll(pattern)].map((m) => ({ name: m[1]!, email: m[2]! }));
}

export interface ChangeAuthorship {
  /** Logins of everyone who wrote the change: its opener, every commit's author and committer, the requester. */
  authors: Set<string>;
  /** Evidence that cannot be trusted, each a reason to fail closed. */
  violations: Violation[];
}

/**
 * People who wrote the change. It fails closed: a commit whose author or committer maps to no account could be
 * anyone, a reviewer included; on a proposal the bot opened, only the bot may have committed, and only on its branches.
 */
export function changeAuthorship(e: Pick<ReviewEvidence, 'pullRequest' | 'commits' | 'bot'>): ChangeAuthorship {
  const bot = e.bot.toLowerCase();
  const authors = new Set([e.pullRequest.author.toLowerCase()]);
  const violations: Violation[] = [];
  const fail = (reason: string) => violations.push({ policy: POLICY, reason });
  const botOpened = e.pullRequest.author.toLowerCase() === bot;
  if (botOpened && !e.pullRequest.head.ref.startsWith(PROPOSAL_BRANCH_PREFIX)) {
    fail(`the bot opened it from ${e.pullRequest.head.ref}, outside the ${PROPOSAL_BRANCH_PREFIX} branches only the bot may write`);
  }
  for (const c of e.commits) {
    if (c.authorLogin) authors.add(c.authorLogin.toLowerCase());
    else fail(`commit ${short(c.sha)} is authored by ${c.author.email}, which maps to no account, so its author cannot be kept from approving`);
    if (c.committerLogin) authors.add(c.committerLogin.toLowerCase());
    else fail(`commit ${short(c.sha)} is committed by ${c.committer.email}, which maps to no account, so its committer cannot be kept from approving`);
    if (botOpened && c.committerLogin && c.committerLogin.toLowerCase() !== bot) {
      fail(`commit ${short(c.sha)} was committed by ${c.committerLogin}, not the bot: only the bot writes proposal branches`);
    }
    for (const requester of requestersIn(c.message)) {
      // The API names a requester by login, an agent's as `login (school agent)`.
      authors.add(requester.name.split(' ')[0]!.toLowerCase());
      if (requester.email.toLowerCase() !== c.author.email.toLowerCase()) {
        fail(`commit ${short(c.sha)} names ${requester.email} as its requester but is authored by ${c.author.email}`);
      }
    }
  }
  authors.delete(bot);
  return { authors, violations };
}

/** People who wrote the change (see changeAuthorship). */
export function changeAuthors(e: Pick<ReviewEvidence, 'pullRequest' | 'commits' | 'bot'>): Set<string> {
  return changeAuthorship(e).authors;
}

export function checkTwoPersonRule(e: ReviewEvidence): TwoPersonVerdict {
  const head = e.pullRequest.head.sha;
  const { authors, violations } = changeAuthorship(e);
  const bot = e.bot.toLowerCase();
  // A reviewer's latest decisive review stands; comments do not withdraw an approval.
  const latest = new Map<string, Review>();
  for (const r of [...e.reviews].sort((a, b) => a.id - b.id)) {
    if (r.state === 'COMMENTED' || r.state === 'PENDING') continue;
    latest.set(r.author.toLowerCase(), r);
  }
  const approvers: string[] = [];
  const discounted: TwoPersonVerdict['discounted'] = [];
  for (const [reviewer, r] of [...latest].sort(([a], [b]) => a.localeCompare(b))) {
    if (r.state === 'CHANGES_REQUESTED' && !r.dismissed) {
      violations.push({ policy: POLICY, reason: `${r.author} requested changes` });
      continue;
    }
    if (r.state !== 'APPROVED') continue;
    const why =
      r.dismissed ? 'dismissed'
      : r.stale || r.commitId !== head ? `approved ${short(r.commitId)}, not the head ${short(head)}`
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
        `${e.requiredApprovals} approvals of head ${short(head)} from people other than the authors (${[...authors].join(', ')}) ` +
        `and the bot are required; found ${approvers.length}${approvers.length ? ` (${approvers.join(', ')})` : ''}` +
        (notCounted ? `; not counted: ${notCounted}` : ''),
    });
  }
  return { violations, approvers, discounted };
}
