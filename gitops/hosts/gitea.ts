// Gitea over its REST API v1.
import {
  MergeRefusedError,
  HostError,
  type BotIdentity,
  type Commit,
  type CommitStatusState,
  type FileChange,
  type GitHost,
  type OpenPullRequest,
  type Person,
  type ProtectionRule,
  type PullRequest,
  type Review,
  type ReviewState,
} from './git-host.js';
import { PullRequestApi } from './pulls.js';
import { RestClient, type RetryPolicy } from './rest.js';
import { BlobCache, decodeBlob, readSelectedBlobs, type TreeEntry } from './tree-reader.js';

export interface GiteaHostOptions {
  /** The server's root URL, e.g. http://127.0.0.1:3000 */
  url: string;
  owner: string;
  repo: string;
  token: string;
  /** How calls are retried and rate limits waited out. */
  retry?: Partial<RetryPolicy>;
}

interface GiteaReview {
  id: number;
  user: { login: string } | null;
  state: string;
  commit_id: string;
  stale: boolean;
  dismissed: boolean;
}

const REVIEW_STATES: Record<string, ReviewState> = {
  APPROVED: 'APPROVED',
  REQUEST_CHANGES: 'CHANGES_REQUESTED',
  COMMENT: 'COMMENTED',
  PENDING: 'PENDING',
  REQUEST_REVIEW: 'PENDING',
};

const PAGE = 50;
const TREE_PAGE = 1000;

export class GiteaHost implements GitHost {
  readonly kind = 'gitea' as const;

  private readonly blobs = new BlobCache();
  private readonly pulls: PullRequestApi;

  private constructor(
    private readonly api: RestClient,
    private readonly repoPath: string,
  ) {
    this.pulls = new PullRequestApi(api, repoPath, { size: PAGE, param: 'limit' }, 'stat=false&verification=false&files=false');
  }

  static create(options: GiteaHostOptions): GiteaHost {
    const api = RestClient.create({
      baseUrl: `${options.url.replace(/\/+$/, '')}/api/v1`,
      headers: { Authorization: `token ${options.token}` },
      ...(options.retry ? { retry: options.retry } : {}),
    });
    return new GiteaHost(api, `/repos/${encodeURIComponent(options.owner)}/${encodeURIComponent(options.repo)}`);
  }

  async defaultBranch(): Promise<string> {
    return (await this.api.request<{ default_branch: string }>('GET', this.repoPath)).default_branch;
  }

  async branchHead(branch: string): Promise<string | null> {
    const found = await this.api.find<{ commit: { id: string } }>(`${this.repoPath}/branches/${encodeURIComponent(branch)}`);
    return found?.commit.id ?? null;
  }

  async createBranch(name: string, from: string): Promise<string> {
    const created = await this.api.request<{ commit: { id: string } }>('POST', `${this.repoPath}/branches`, {
      new_branch_name: name,
      old_branch_name: from,
    });
    return created.commit.id;
  }

  async readFile(branch: string, path: string): Promise<string | null> {
    const found = await this.fileEntry(branch, path);
    return found ? Buffer.from(found.content, 'base64').toString('utf8') : null;
  }

  async readTree(branch: string, select: (path: string) => boolean): Promise<Map<string, string>> {
    const head = await this.branchHead(branch);
    if (!head) throw new HostError(`branch ${branch} does not exist`, 404);
    const entries: TreeEntry[] = [];
    for (let page = 1; ; page++) {
      const listing = await this.api.request<{ tree: TreeEntry[] | null; total_count: number }>(
        'GET',
        `${this.repoPath}/git/trees/${head}?recursive=true&page=${page}&per_page=${TREE_PAGE}`,
      );
      entries.push(...(listing.tree ?? []));
      if ((listing.tree ?? []).length < TREE_PAGE || entries.length >= listing.total_count) break;
    }
    return readSelectedBlobs(entries, select, this.blobs, async (sha) =>
      decodeBlob(await this.api.request<{ content: string; encoding: string }>('GET', `${this.repoPath}/git/blobs/${sha}`)),
    );
  }

  async commitFiles(input: { branch: string; message: string; files: FileChange[]; author?: Person }): Promise<string> {
    const operations = [];
    for (const file of input.files) {
      if (file.content !== null) {
        operations.push({ operation: 'upload', path: file.path, content: Buffer.from(file.content).toString('base64') });
        continue;
      }
      const existing = await this.fileEntry(input.branch, file.path);
      if (existing) operations.push({ operation: 'delete', path: file.path, sha: existing.sha });
    }
    const body: Record<string, unknown> = { branch: input.branch, message: input.message, files: operations };
    // Gitea makes the author the committer too unless told otherwise; verify needs the committer to be who pushed.
    if (input.author) Object.assign(body, { author: input.author, committer: await this.self() });
    const result = await this.api.request<{ commit: { sha: string } }>('POST', `${this.repoPath}/contents`, body);
    return result.commit.sha;
  }

  async openPullRequest(input: OpenPullRequest): Promise<{ pullRequest: PullRequest; created: boolean }> {
    const existing = (await this.pulls.list('open')).find((pr) => pr.head.ref === input.head && pr.base.ref === input.base);
    return this.pulls.open(input, existing, (number, labels) => this.addLabels(number, labels));
  }

  listPullRequests(state: 'open' | 'all'): Promise<PullRequest[]> {
    return this.pulls.list(state);
  }

  getPullRequest(number: number): Promise<PullRequest> {
    return this.pulls.get(number);
  }

  listPullRequestCommits(number: number): Promise<Commit[]> {
    return this.pulls.commits(number);
  }

  async listReviews(number: number): Promise<Review[]> {
    const reviews = await this.api.all<GiteaReview>(`${this.repoPath}/pulls/${number}/reviews`, PAGE, 'limit');
    return reviews.map((r) => ({
      id: r.id,
      author: r.user?.login ?? '',
      state: REVIEW_STATES[r.state] ?? 'COMMENTED',
      commitId: r.commit_id,
      dismissed: r.dismissed,
      stale: r.stale,
    }));
  }

  async addLabels(number: number, labels: string[]): Promise<void> {
    const existing = await this.api.all<{ id: number; name: string }>(`${this.repoPath}/labels`, PAGE, 'limit');
    const ids: number[] = [];
    for (const name of labels) {
      const found = existing.find((l) => l.name === name);
      ids.push(found ? found.id : (await this.api.request<{ id: number }>('POST', `${this.repoPath}/labels`, { name, color: labelColor(name) })).id);
    }
    await this.api.request('POST', `${this.repoPath}/issues/${number}/labels`, { labels: ids });
  }

  async merge(number: number, headSha: string): Promise<void> {
    try {
      await this.api.request('POST', `${this.repoPath}/pulls/${number}/merge`, { Do: 'merge', head_commit_id: headSha });
    } catch (error) {
      // 405: branch protection or state refuses; 409: the head moved or conflicts.
      if (error instanceof HostError && (error.status === 405 || error.status === 409)) throw new MergeRefusedError(error.message, error.status);
      throw error;
    }
  }

  async setBranchProtection(branch: string, rule: ProtectionRule): Promise<void> {
    await this.putRule(branch, {
      required_approvals: rule.requiredApprovals,
      dismiss_stale_approvals: rule.dismissStaleApprovals,
      block_on_rejected_reviews: rule.blockOnRejectedReviews,
      // Gitea's CODEOWNERS only requests reviews; blocking on every official request would demand all owners.
      enable_status_check: rule.requiredStatusChecks.length > 0,
      status_check_contexts: rule.requiredStatusChecks,
      enable_push: false,
      // A repository admin could otherwise merge without the approvals and checks.
      block_admin_merge_override: true,
      enable_approvals_whitelist: rule.approvers.length > 0,
      approvals_whitelist_username: rule.approvers,
      // A pull request touching these cannot merge: the rules that judge a change are not changed by one.
      protected_file_patterns: rule.protectedFiles.join(';'),
    });
  }

  async restrictBranchesToBot(prefix: string, bot: BotIdentity): Promise<void> {
    await this.putRule(`${prefix}**`, {
      enable_push: true,
      enable_push_whitelist: true,
      push_whitelist_usernames: [bot.login],
      push_whitelist_deploy_keys: false,
      enable_force_push: false,
    });
  }

  /** Creates or updates the rule named `name` (a branch or a glob). */
  private async putRule(name: string, body: Record<string, unknown>): Promise<void> {
    const rules = await this.api.request<{ rule_name: string }[]>('GET', `${this.repoPath}/branch_protections`);
    if (rules.some((r) => r.rule_name === name)) await this.api.request('PATCH', `${this.repoPath}/branch_protections/${encodeURIComponent(name)}`, body);
    else await this.api.request('POST', `${this.repoPath}/branch_protections`, { rule_name: name, ...body });
  }

  async setFileCodeowners(branch: string, content: string): Promise<void> {
    if ((await this.readFile(branch, '.gitea/CODEOWNERS')) === content) return;
    await this.commitFiles({ branch, message: 'Set the owners who review fleet changes', files: [{ path: '.gitea/CODEOWNERS', content }] });
  }

  async createStatus(sha: string, status: { context: string; state: CommitStatusState; description: string; targetUrl?: string }): Promise<void> {
    await this.api.request('POST', `${this.repoPath}/statuses/${sha}`, {
      context: status.context,
      state: status.state,
      description: status.description.slice(0, 140),
      target_url: status.targetUrl ?? '',
    });
  }

  /** The token's own account as a commit identity. */
  private async self(): Promise<Person> {
    const user = await this.api.request<{ login: string; email: string }>('GET', '/user');
    return { name: user.login, email: user.email };
  }

  private async fileEntry(branch: string, path: string): Promise<{ content: string; sha: string } | null> {
    const found = await this.api.find<{ type: string; content: string | null; sha: string }>(
      `${this.repoPath}/contents/${path.split('/').map(encodeURIComponent).join('/')}?ref=${encodeURIComponent(branch)}`,
    );
    return found && found.type === 'file' ? { content: found.content ?? '', sha: found.sha } : null;
  }
}

/** A stable colour per label name, so re-created labels look the same. */
export function labelColor(name: string): string {
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return `#${(hash & 0xffffff).toString(16).padStart(6, '0')}`;
}
