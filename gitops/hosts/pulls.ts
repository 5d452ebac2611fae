// Pull requests over the REST shape Gitea and GitHub share (Gitea's API follows GitHub's): listing, reading, commits,
// and opening one unless the same head and base already have one. Each host says only how it finds that one.
import type { Commit, OpenPullRequest, Person, PullRequest } from './git-host.js';
import type { RestClient } from './rest.js';

/** A pull request as both hosts answer it; Gitea adds `merged` and may send `labels: null`. */
interface PullWire {
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  merged?: boolean;
  merged_at?: string | null;
  user: { login: string };
  head: { ref: string; sha: string };
  base: { ref: string };
  labels: { name: string }[] | null;
  html_url: string;
}

interface CommitWire {
  sha: string;
  commit: { author: Person; committer: Person; message: string };
  author: { login: string } | null;
  committer: { login: string } | null;
}

export interface PullPaging {
  size: number;
  param: 'limit' | 'per_page';
}

export class PullRequestApi {
  constructor(
    private readonly api: RestClient,
    private readonly repoPath: string,
    private readonly paging: PullPaging,
    /** Query a host wants on the commits list (Gitea: leave out stats, verification and files). */
    private readonly commitsQuery = '',
  ) {}

  async list(state: 'open' | 'all'): Promise<PullRequest[]> {
    return (await this.api.all<PullWire>(`${this.repoPath}/pulls?state=${state}`, this.paging.size, this.paging.param)).map(toPullRequest);
  }

  /** Pull requests in raw host paging, filtered by the host's own query (GitHub: `head`, `base`). */
  async query(query: string): Promise<PullRequest[]> {
    return (await this.api.request<PullWire[]>('GET', `${this.repoPath}/pulls?${query}`)).map(toPullRequest);
  }

  async get(number: number): Promise<PullRequest> {
    return toPullRequest(await this.api.request<PullWire>('GET', `${this.repoPath}/pulls/${number}`));
  }

  async commits(number: number): Promise<Commit[]> {
    const sep = this.commitsQuery ? `?${this.commitsQuery}` : '';
    const commits = await this.api.all<CommitWire>(`${this.repoPath}/pulls/${number}/commits${sep}`, this.paging.size, this.paging.param);
    return commits.map((c) => ({
      sha: c.sha,
      author: { name: c.commit.author.name, email: c.commit.author.email },
      authorLogin: c.author?.login ?? null,
      committer: { name: c.commit.committer.name, email: c.commit.committer.email },
      committerLogin: c.committer?.login ?? null,
      message: c.commit.message,
    }));
  }

  /** `existing` when the host found an open one from the same head to the same base; else opens one and labels it. */
  async open(
    input: OpenPullRequest,
    existing: PullRequest | undefined,
    addLabels: (number: number, labels: string[]) => Promise<void>,
  ): Promise<{ pullRequest: PullRequest; created: boolean }> {
    if (existing) return { pullRequest: existing, created: false };
    const pull = await this.api.request<PullWire>('POST', `${this.repoPath}/pulls`, { title: input.title, head: input.head, base: input.base, body: input.body });
    if (input.labels.length > 0) await addLabels(pull.number, input.labels);
    return { pullRequest: await this.get(pull.number), created: true };
  }
}

function toPullRequest(pull: PullWire): PullRequest {
  return {
    number: pull.number,
    title: pull.title,
    body: pull.body ?? '',
    state: pull.merged || pull.merged_at ? 'merged' : pull.state,
    author: pull.user.login,
    head: { ref: pull.head.ref, sha: pull.head.sha },
    base: { ref: pull.base.ref },
    labels: (pull.labels ?? []).map((l) => l.name),
    url: pull.html_url,
  };
}
