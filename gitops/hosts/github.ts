// GitHub over its REST API: the Git data API makes one commit of many files; pulls, reviews and branch protection.
import {
  HostError,
  MergeRefusedError,
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

export interface GitHubHostOptions {
  /** https://api.github.com, or a GitHub Enterprise Server's /api/v3 root. */
  url: string;
  owner: string;
  repo: string;
  token: string;
  /** The bot's login (an App's `slug[bot]`): an App's installation token cannot read its own account at /user. */
  bot?: string;
  /** How calls are retried and rate limits waited out (tests pass a recording sleep). */
  retry?: Partial<RetryPolicy>;
}

const PAGE = 100;

export class GitHubHost implements GitHost {
  readonly kind = 'github' as const;

  private readonly blobs = new BlobCache();
  private readonly pulls: PullRequestApi;

  private constructor(
    private readonly api: RestClient,
    private readonly owner: string,
    private readonly repoPath: string,
    private readonly bot: string | undefined,
  ) {
    this.pulls = new PullRequestApi(api, repoPath, { size: PAGE, param: 'per_page' });
  }

  static create(options: GitHubHostOptions): GitHubHost {
    const api = RestClient.create({
      baseUrl: options.url,
      headers: { Authorization: `Bearer ${options.token}`, Accept: 'application/vnd.github+json', 'X-GitHub-Api-Version': '2022-11-28' },
      ...(options.retry ? { retry: options.retry } : {}),
    });
    return new GitHubHost(api, options.owner, `/repos/${encodeURIComponent(options.owner)}/${encodeURIComponent(options.repo)}`, options.bot);
  }

  async defaultBranch(): Promise<string> {
    return (await this.api.request<{ default_branch: string }>('GET', this.repoPath)).default_branch;
  }

  async branchHead(branch: string): Promise<string | null> {
    const ref = await this.api.find<{ object: { sha: string } }>(`${this.repoPath}/git/ref/heads/${encodeRef(branch)}`);
    return ref?.object.sha ?? null;
  }

  async createBranch(name: string, from: string): Promise<string> {
    const sha = await this.branchHead(from);
    if (!sha) throw new HostError(`branch ${from} does not exist`, 404);
    await this.api.request('POST', `${this.repoPath}/git/refs`, { ref: `refs/heads/${name}`, sha });
    return sha;
  }

  async readFile(branch: string, path: string): Promise<string | null> {
    const found = await this.api.find<{ type: string; content?: string }>(`${this.repoPath}/contents/${encodePath(path)}?ref=${encodeURIComponent(branch)}`);
    return found && found.type === 'file' ? Buffer.from(found.content ?? '', 'base64').toString('utf8') : null;
  }

  async readTree(branch: string, select: (path: string) => boolean): Promise<Map<string, string>> {
    const head = await this.branchHead(branch);
    if (!head) throw new HostError(`branch ${branch} does not exist`, 404);
    const commit = await this.api.request<{ tree: { sha: string } }>('GET', `${this.repoPath}/git/commits/${head}`);
    const listing = await this.api.request<{ tree: TreeEntry[]; truncated: boolean }>('GET', `${this.repoPath}/git/trees/${commit.tree.sha}?recursive=1`);
    // GitHub caps a recursive listing (100,000 entries, 7 MB); a fleet that large needs another reader.
    if (listing.truncated) throw new HostError(`the tree of ${branch} is too large to list in one request`, 507);
    return readSelectedBlobs(listing.tree, select, this.blobs, async (sha) =>
      decodeBlob(await this.api.request<{ content: string; encoding: string }>('GET', `${this.repoPath}/git/blobs/${sha}`)),
    );
  }

  async commitFiles(input: { branch: string; message: string; files: FileChange[]; author?: Person }): Promise<string> {
    const parent = await this.branchHead(input.branch);
    if (!parent) throw new HostError(`branch ${input.branch} does not exist`, 404);
    const parentCommit = await this.api.request<{ tree: { sha: string } }>('GET', `${this.repoPath}/git/commits/${parent}`);
    const entries = [];
    for (const file of input.files) {
      if (file.content === null) {
        entries.push({ path: file.path, mode: '100644', type: 'blob', sha: null });
        continue;
      }
      const blob = await this.api.request<{ sha: string }>('POST', `${this.repoPath}/git/blobs`, { content: file.content, encoding: 'utf-8' });
      entries.push({ path: file.path, mode: '100644', type: 'blob', sha: blob.sha });
    }
    const tree = await this.api.request<{ sha: string }>('POST', `${this.repoPath}/git/trees`, { base_tree: parentCommit.tree.sha, tree: entries });
    const body: Record<string, unknown> = { message: input.message, tree: tree.sha, parents: [parent] };
    // GitHub makes the author the committer too unless told otherwise; verify needs the committer to be the bot.
    if (input.author) Object.assign(body, { author: input.author, committer: await this.self() });
    const commit = await this.api.request<{ sha: string }>('POST', `${this.repoPath}/git/commits`, body);
    // Not forced: a concurrent push makes this fail rather than be overwritten.
    await this.api.request('PATCH', `${this.repoPath}/git/refs/heads/${encodeRef(input.branch)}`, { sha: commit.sha, force: false });
    return commit.sha;
  }

  async openPullRequest(input: OpenPullRequest): Promise<{ pullRequest: PullRequest; created: boolean }> {
    // GitHub filters by head (as owner:branch) and base itself.
    const head = encodeURIComponent(`${this.owner}:${input.head}`);
    const [existing] = await this.pulls.query(`state=open&head=${head}&base=${encodeURIComponent(input.base)}`);
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
    const [pull, reviews] = await Promise.all([
      this.getPullRequest(number),
      this.api.all<{ id: number; user: { login: string } | null; state: string; commit_id: string }>(`${this.repoPath}/pulls/${number}/reviews`, PAGE, 'per_page'),
    ]);
    return reviews.map((r) => ({
      id: r.id,
      author: r.user?.login ?? '',
      state: (['APPROVED', 'CHANGES_REQUESTED', 'COMMENTED', 'DISMISSED', 'PENDING'].includes(r.state) ? r.state : 'COMMENTED') as ReviewState,
      commitId: r.commit_id,
      dismissed: r.state === 'DISMISSED',
      // GitHub keeps no stale flag: a review of another commit than the head is stale.
      stale: r.commit_id !== pull.head.sha,
    }));
  }

  async addLabels(number: number, labels: string[]): Promise<void> {
    // GitHub creates labels that do not exist yet.
    await this.api.request('POST', `${this.repoPath}/issues/${number}/labels`, { labels });
  }

  async merge(number: number, headSha: string): Promise<void> {
    try {
      await this.api.request('PUT', `${this.repoPath}/pulls/${number}/merge`, { sha: headSha, merge_method: 'merge' });
    } catch (error) {
      // 405: not mergeable (reviews, checks); 409: the head moved since headSha.
      if (error instanceof HostError && (error.status === 405 || error.status === 409)) throw new MergeRefusedError(error.message, error.status);
      throw error;
    }
  }

  async setBranchProtection(branch: string, rule: ProtectionRule): Promise<void> {
    const appId = rule.checksFrom.appId;
    if (appId === undefined) throw new HostError('GitHub pins the required checks to an App: the bot needs its app id', 422);
    await this.api.request('PUT', `${this.repoPath}/branches/${encodeRef(branch)}/protection`, {
      required_status_checks:
        rule.requiredStatusChecks.length > 0
          ? { strict: true, contexts: [], checks: rule.requiredStatusChecks.map((context) => ({ context, app_id: appId })) }
          : null,
      enforce_admins: true,
      required_pull_request_reviews: {
        required_approving_review_count: rule.requiredApprovals,
        dismiss_stale_reviews: rule.dismissStaleApprovals,
        require_code_owner_reviews: rule.requireCodeOwnerReviews,
        require_last_push_approval: true,
      },
      restrictions: null,
    });
  }

  async restrictBranchesToBot(prefix: string, bot: BotIdentity): Promise<void> {
    if (bot.appId === undefined) throw new HostError('GitHub lets only an App bypass a ruleset: the bot needs its app id', 422);
    const name = `posbon proposal branches (${prefix}**)`;
    const body = {
      name,
      target: 'branch',
      enforcement: 'active',
      bypass_actors: [{ actor_id: bot.appId, actor_type: 'Integration', bypass_mode: 'always' }],
      conditions: { ref_name: { include: [`refs/heads/${prefix}**`], exclude: [] } },
      rules: [{ type: 'creation' }, { type: 'update' }, { type: 'deletion' }, { type: 'non_fast_forward' }],
    };
    const existing = (await this.api.request<{ id: number; name: string }[]>('GET', `${this.repoPath}/rulesets`)).find((r) => r.name === name);
    if (existing) await this.api.request('PUT', `${this.repoPath}/rulesets/${existing.id}`, body);
    else await this.api.request('POST', `${this.repoPath}/rulesets`, body);
  }

  /** The token's own account as a commit identity, by the no-reply address GitHub maps back to it. */
  private async self(): Promise<Person> {
    const user = await this.api.request<{ login: string; id: number }>('GET', this.bot ? `/users/${encodeURIComponent(this.bot)}` : '/user');
    return { name: user.login, email: `${user.id}+${user.login}@users.noreply.github.com` };
  }

  async setFileCodeowners(branch: string, content: string): Promise<void> {
    if ((await this.readFile(branch, '.github/CODEOWNERS')) === content) return;
    await this.commitFiles({ branch, message: 'Set the owners who review fleet changes', files: [{ path: '.github/CODEOWNERS', content }] });
  }

  async createStatus(sha: string, status: { context: string; state: CommitStatusState; description: string; targetUrl?: string }): Promise<void> {
    const body: Record<string, unknown> = { state: status.state, context: status.context, description: status.description.slice(0, 140) };
    if (status.targetUrl) body.target_url = status.targetUrl;
    await this.api.request('POST', `${this.repoPath}/statuses/${sha}`, body);
  }
}

const encodeRef = (ref: string) => ref.split('/').map(encodeURIComponent).join('/');
const encodePath = encodeRef;
