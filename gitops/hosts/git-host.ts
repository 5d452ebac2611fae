// The one contract every Git host offers the write path: branches, one-commit changes, pull requests, reviews, rules.

export interface Person {
  name: string;
  email: string;
}

/** A file to write (`content`) or delete (`content: null`), by its path in the repository. */
export interface FileChange {
  path: string;
  content: string | null;
}

export type PullRequestState = 'open' | 'closed' | 'merged';

export interface PullRequest {
  number: number;
  title: string;
  body: string;
  state: PullRequestState;
  /** Login of the account that opened it. */
  author: string;
  head: { ref: string; sha: string };
  base: { ref: string };
  labels: string[];
  url: string;
}

export type ReviewState = 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED' | 'PENDING';

export interface Review {
  id: number;
  author: string;
  state: ReviewState;
  /** The commit the reviewer saw. */
  commitId: string;
  dismissed: boolean;
  /** The host considers it outdated by a later push (GitHub has no such flag: commit differs from head). */
  stale: boolean;
}

export interface Commit {
  sha: string;
  author: Person;
  /** The host account the author's e-mail belongs to, when there is one. */
  authorLogin: string | null;
  committer: Person;
  /** The host account the committer's e-mail belongs to, when there is one. */
  committerLogin: string | null;
  message: string;
}

/** The account that opens proposals; on GitHub an App, whose id pins checks and branch rules to it. */
export interface BotIdentity {
  login: string;
  appId?: number;
}

export interface ProtectionRule {
  requiredApprovals: number;
  dismissStaleApprovals: boolean;
  blockOnRejectedReviews: boolean;
  requireCodeOwnerReviews: boolean;
  requiredStatusChecks: string[];
  /** Only these accounts' approvals count, where the host can say so (Gitea's approvals allowlist). */
  approvers: string[];
  /** Whose statuses satisfy the required checks, where the host can say so (GitHub: the App). */
  checksFrom: BotIdentity;
  /** Glob patterns of files no pull request may change (workflows, CODEOWNERS), where the host can say so (Gitea). */
  protectedFiles: string[];
}

export type CommitStatusState = 'pending' | 'success' | 'failure' | 'error';

export interface OpenPullRequest {
  head: string;
  base: string;
  title: string;
  body: string;
  labels: string[];
}

export interface GitHost {
  readonly kind: 'gitea' | 'github';
  defaultBranch(): Promise<string>;
  /** The commit a branch points at, or null when there is no such branch. */
  branchHead(branch: string): Promise<string | null>;
  createBranch(name: string, from: string): Promise<string>;
  /** A file's text on a branch, or null when absent. */
  readFile(branch: string, path: string): Promise<string | null>;
  /** Every file on a branch whose path `select` accepts, by path. */
  readTree(branch: string, select: (path: string) => boolean): Promise<Map<string, string>>;
  /** One commit on `branch` holding every change; returns its sha. */
  commitFiles(input: { branch: string; message: string; files: FileChange[]; author?: Person }): Promise<string>;
  /** Opens a pull request, or returns the open one from the same head branch. */
  openPullRequest(input: OpenPullRequest): Promise<{ pullRequest: PullRequest; created: boolean }>;
  listPullRequests(state: 'open' | 'all'): Promise<PullRequest[]>;
  getPullRequest(number: number): Promise<PullRequest>;
  listPullRequestCommits(number: number): Promise<Commit[]>;
  listReviews(number: number): Promise<Review[]>;
  /** Adds labels by name, creating missing ones. */
  addLabels(number: number, labels: string[]): Promise<void>;
  /** Merges at `headSha`; throws MergeRefusedError when the host's rules refuse it. */
  merge(number: number, headSha: string): Promise<void>;
  setBranchProtection(branch: string, rule: ProtectionRule): Promise<void>;
  /** Lets only the bot create, push to or delete branches under `prefix` (`posbon/`). */
  restrictBranchesToBot(prefix: string, bot: BotIdentity): Promise<void>;
  /** Writes the CODEOWNERS file where the host reads it, on `branch`. */
  setFileCodeowners(branch: string, content: string): Promise<void>;
  createStatus(sha: string, status: { context: string; state: CommitStatusState; description: string; targetUrl?: string }): Promise<void>;
}

export class HostError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'HostError';
  }
}

export class MergeRefusedError extends HostError {
  constructor(message: string, status: number) {
    super(message, status);
    this.name = 'MergeRefusedError';
  }
}
