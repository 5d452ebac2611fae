// A fake GitHub REST API (v2022-11-28 shapes) for GitHubHost's tests: only the endpoints it calls, one repository in memory,
// with the branch protection rules that refuse a merge (405) as github.com does, required checks pinned to an App, and
// repository rulesets that refuse ref writes to everyone but their bypass actors. GitHub itself cannot run here.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeGitHubUser {
  login: string;
  email: string;
  token: string;
  /** Set when the token is a GitHub App's installation token: what it does is done by that App. */
  appId?: number;
}

interface Person {
  name: string;
  email: string;
  date: string;
}

interface GitCommit {
  sha: string;
  tree: string;
  parents: string[];
  message: string;
  author: Person;
  committer: Person;
}

interface Pull {
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  merged_at: string | null;
  user: string;
  head: string;
  base: string;
  labels: string[];
}

interface Review {
  id: number;
  user: string;
  state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED';
  commit_id: string;
  body: string;
}

interface RequiredCheck {
  context: string;
  /** The App whose statuses alone satisfy it; null (or -1 when set) lets any writer's status do. */
  app_id: number | null;
}

interface Protection {
  required_status_checks: { strict: boolean; contexts: string[]; checks: RequiredCheck[] } | null;
  enforce_admins: boolean;
  required_pull_request_reviews: {
    required_approving_review_count: number;
    dismiss_stale_reviews: boolean;
    require_code_owner_reviews: boolean;
    require_last_push_approval: boolean;
  } | null;
}

interface Ruleset {
  id: number;
  name: string;
  target: 'branch';
  enforcement: 'active' | 'disabled' | 'evaluate';
  bypass_actors: { actor_id: number | null; actor_type: string; bypass_mode: string }[];
  conditions: { ref_name: { include: string[]; exclude: string[] } };
  rules: { type: string; parameters?: Record<string, unknown> }[];
}

interface Status {
  context: string;
  state: string;
  description: string;
  /** The link GitHub shows beside the status, e.g. the CI run; null when none was given. */
  target_url: string | null;
  creator: { login: string };
  /** The App that posted it, when an App did. */
  app_id: number | null;
}

/** A request's JSON as GitHub's docs describe it; each handler reads the fields it needs. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Body = Record<string, any>;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * How GitHub answers a request over a rate limit (docs.github.com, "Rate limits for the REST API"): the primary limit
 * with 403 or 429, `x-ratelimit-remaining: 0` and the reset time in epoch seconds; a secondary limit with 403 or 429,
 * its message, and `retry-after` in seconds when GitHub names a wait. `unavailable` is a 502 of a busy front.
 */
export type FakeRateLimit =
  | { kind: 'primary'; status?: 403 | 429; resetInSeconds: number }
  | { kind: 'secondary'; status?: 403 | 429; retryAfterSeconds?: number }
  | { kind: 'unavailable' };

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
const now = () => new Date().toISOString();

export class FakeGitHub {
  readonly owner: string;
  readonly repo = 'fleet';
  url = '';
  private server: Server | undefined;
  private readonly blobs = new Map<string, string>();
  /** Trees as flat maps from path to blob sha. */
  private readonly trees = new Map<string, Map<string, string>>();
  private readonly commits = new Map<string, GitCommit>();
  private readonly refs = new Map<string, string>();
  /** The login that last pushed to each branch. */
  private readonly pushers = new Map<string, string>();
  private readonly pulls: Pull[] = [];
  private readonly reviews = new Map<number, Review[]>();
  private readonly statuses = new Map<string, Status[]>();
  private readonly rulesets: Ruleset[] = [];
  private readonly protections = new Map<string, Protection>();
  private readonly labels = new Set<string>();
  private nextReview = 1;
  private readonly limits: FakeRateLimit[] = [];
  /** Every request as `METHOD /path`, in order, the refused ones included. */
  readonly requests: string[] = [];

  constructor(readonly users: FakeGitHubUser[]) {
    this.owner = users[0]!.login;
    const tree = this.putTree(new Map());
    const first = { name: this.owner, email: users[0]!.email, date: now() };
    const root: GitCommit = { sha: '', tree, parents: [], message: 'Initial commit', author: first, committer: first };
    root.sha = sha1(JSON.stringify(root));
    this.commits.set(root.sha, root);
    this.refs.set('main', root.sha);
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  /** The next requests (one each, in order) are answered with these limits instead of being carried out. */
  limitNext(...limits: FakeRateLimit[]): void {
    this.limits.push(...limits);
  }

  /** What a test may read directly: the rule GitHub stores for a branch. */
  protection(branch: string): Protection | undefined {
    return this.protections.get(branch);
  }

  /** The numeric id GitHub gives each account. */
  private idOf(user: FakeGitHubUser): number {
    return 1000 + this.users.indexOf(user);
  }

  /** The account an e-mail belongs to: its own address or its no-reply one (`<id>+<login>@users.noreply.github.com`). */
  private loginOf(email: string): string | null {
    const user = this.users.find((u) => u.email.toLowerCase() === email.toLowerCase() || `${this.idOf(u)}+${u.login}@users.noreply.github.com` === email.toLowerCase());
    return user?.login ?? null;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    try {
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const user = this.users.find((u) => u.token === token);
      if (!user) throw new HttpError(401, 'Bad credentials');
      const url = new URL(req.url ?? '/', 'http://fake');
      this.requests.push(`${req.method} ${url.pathname}`);
      const limit = this.limits.shift();
      if (limit) return send(...this.limitAnswer(limit, user));
      const body = chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Body) : {};
      const prefix = `/repos/${this.owner}/${this.repo}`;
      // An App's installation token has no user of its own to read (403), as on github.com.
      if (req.method === 'GET' && url.pathname === '/user') {
        if (user.appId !== undefined) throw new HttpError(403, 'Resource not accessible by integration');
        return send(200, { login: user.login, id: this.idOf(user), type: 'User' });
      }
      const named = /^\/users\/([^/]+)$/.exec(url.pathname);
      if (req.method === 'GET' && named) {
        const found = this.users.find((u) => u.login === decodeURIComponent(named[1]!));
        if (!found) throw new HttpError(404, 'Not Found');
        return send(200, { login: found.login, id: this.idOf(found), type: found.appId !== undefined ? 'Bot' : 'User' });
      }
      if (!url.pathname.startsWith(prefix)) throw new HttpError(404, 'Not Found');
      const [status, result] = this.route(req.method ?? 'GET', decodeURIComponent(url.pathname.slice(prefix.length)), url.searchParams, body, user);
      send(status, result);
    } catch (error) {
      if (error instanceof HttpError) send(error.status, { message: error.message, documentation_url: 'https://docs.github.com/rest' });
      else send(500, { message: String(error) });
    }
  }

  private limitAnswer(limit: FakeRateLimit, user: FakeGitHubUser): [number, unknown, Record<string, string>] {
    const docs = 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api';
    if (limit.kind === 'unavailable') return [502, { message: 'Server Error' }, {}];
    if (limit.kind === 'primary') {
      const reset = String(Math.floor(Date.now() / 1000) + limit.resetInSeconds);
      const headers = { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '0', 'x-ratelimit-used': '5000', 'x-ratelimit-reset': reset, 'x-ratelimit-resource': 'core' };
      return [limit.status ?? 403, { message: `API rate limit exceeded for user ID ${this.idOf(user)}.`, documentation_url: docs }, headers];
    }
    const message =
      'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000.';
    return [limit.status ?? 403, { message, documentation_url: docs }, limit.retryAfterSeconds !== undefined ? { 'retry-after': String(limit.retryAfterSeconds) } : {}];
  }

  private route(method: string, path: string, query: URLSearchParams, body: Body, user: FakeGitHubUser): [number, unknown] {
    const route = (m: string, pattern: RegExp): RegExpExecArray | null => (method === m ? pattern.exec(path) : null);
    let m: RegExpExecArray | null;
    if (route('GET', /^$/)) return [200, { name: this.repo, full_name: `${this.owner}/${this.repo}`, default_branch: 'main' }];
    if ((m = route('GET', /^\/git\/ref\/heads\/(.+)$/))) return [200, this.refBody(m[1]!)];
    if (route('POST', /^\/git\/refs$/)) return [201, this.createRef(body, user)];
    if ((m = route('PATCH', /^\/git\/refs\/heads\/(.+)$/))) return [200, this.updateRef(m[1]!, body, user)];
    if (route('POST', /^\/git\/blobs$/)) return [201, this.createBlob(body)];
    if ((m = route('GET', /^\/git\/blobs\/([0-9a-f]{40})$/))) return [200, this.blobBody(m[1]!)];
    if (route('POST', /^\/git\/trees$/)) return [201, this.createTree(body)];
    if ((m = route('GET', /^\/git\/trees\/([0-9a-f]{40})$/))) return [200, this.treeBody(m[1]!)];
    if (route('POST', /^\/git\/commits$/)) return [201, this.createCommit(body, user)];
    if ((m = route('GET', /^\/git\/commits\/([0-9a-f]{40})$/))) return [200, this.commitBody(this.commit(m[1]!))];
    if ((m = route('GET', /^\/contents\/(.+)$/))) return [200, this.contentsBody(m[1]!, query.get('ref') ?? 'main')];
    if (route('GET', /^\/pulls$/)) return [200, this.listPulls(query)];
    if (route('POST', /^\/pulls$/)) return [201, this.createPull(body, user)];
    if ((m = route('GET', /^\/pulls\/(\d+)$/))) return [200, this.pullBody(this.pull(Number(m[1])))];
    if ((m = route('GET', /^\/pulls\/(\d+)\/commits$/))) return [200, this.page(this.pullCommits(this.pull(Number(m[1]))), query)];
    if ((m = route('GET', /^\/pulls\/(\d+)\/reviews$/))) return [200, this.page((this.reviews.get(Number(m[1])) ?? []).map((r) => this.reviewBody(r)), query)];
    if ((m = route('POST', /^\/pulls\/(\d+)\/reviews$/))) return [200, this.createReview(this.pull(Number(m[1])), body, user)];
    if ((m = route('PUT', /^\/pulls\/(\d+)\/merge$/))) return [200, this.merge(this.pull(Number(m[1])), body, user)];
    if ((m = route('POST', /^\/issues\/(\d+)\/labels$/))) return [200, this.addLabels(this.pull(Number(m[1])), body)];
    if ((m = route('PUT', /^\/branches\/(.+)\/protection$/))) return [200, this.protect(m[1]!, body)];
    if ((m = route('POST', /^\/statuses\/([0-9a-f]{40})$/))) return [201, this.createStatus(m[1]!, body, user)];
    if (route('GET', /^\/rulesets$/)) return [200, this.rulesets];
    if (route('POST', /^\/rulesets$/)) return [201, this.putRuleset(null, body)];
    if ((m = route('GET', /^\/rulesets\/(\d+)$/))) return [200, this.ruleset(Number(m[1]))];
    if ((m = route('PUT', /^\/rulesets\/(\d+)$/))) return [200, this.putRuleset(this.ruleset(Number(m[1])), body)];
    if ((m = route('GET', /^\/commits\/([0-9a-f]{40})\/statuses$/))) return [200, (this.statuses.get(m[1]!) ?? []).map(({ app_id: _app, ...shown }) => shown)];
    throw new HttpError(404, 'Not Found');
  }

  private page<T>(items: T[], query: URLSearchParams): T[] {
    const size = Number(query.get('per_page') ?? 30);
    const page = Number(query.get('page') ?? 1);
    return items.slice((page - 1) * size, page * size);
  }

  private putTree(entries: Map<string, string>): string {
    const sha = sha1(`tree\0${[...entries].sort(([a], [b]) => (a < b ? -1 : 1)).map(([p, s]) => `${p}:${s}`).join('\n')}`);
    this.trees.set(sha, entries);
    return sha;
  }

  private commit(sha: string): GitCommit {
    const found = this.commits.get(sha);
    if (!found) throw new HttpError(404, 'Not Found');
    return found;
  }

  private refBody(branch: string) {
    const sha = this.refs.get(branch);
    if (!sha) throw new HttpError(404, 'Not Found');
    return { ref: `refs/heads/${branch}`, object: { sha, type: 'commit' } };
  }

  private createRef(body: Body, user: FakeGitHubUser) {
    const branch = String(body.ref).replace(/^refs\/heads\//, '');
    if (this.refs.has(branch)) throw new HttpError(422, 'Reference already exists');
    this.commit(body.sha);
    this.checkRules(branch, 'creation', user);
    this.refs.set(branch, body.sha);
    this.pushers.set(branch, user.login);
    return this.refBody(branch);
  }

  private updateRef(branch: string, body: Body, user: FakeGitHubUser) {
    const current = this.refs.get(branch);
    if (!current) throw new HttpError(422, 'Reference does not exist');
    if (this.protections.has(branch)) throw new HttpError(422, 'Protected branch update failed');
    const fastForward = this.ancestors(body.sha).has(current);
    if (!body.force && !fastForward) throw new HttpError(422, 'Update is not a fast forward');
    this.checkRules(branch, fastForward ? 'update' : 'non_fast_forward', user);
    this.refs.set(branch, body.sha);
    this.pushers.set(branch, user.login);
    this.onPush(branch);
    return this.refBody(branch);
  }

  /** A push to a pull request's head dismisses approvals of older commits when the base branch says so. */
  private onPush(branch: string) {
    for (const pull of this.pulls.filter((p) => p.head === branch && p.state === 'open')) {
      if (!this.protections.get(pull.base)?.required_pull_request_reviews?.dismiss_stale_reviews) continue;
      for (const review of this.reviews.get(pull.number) ?? []) if (review.state === 'APPROVED' && review.commit_id !== this.refs.get(branch)) review.state = 'DISMISSED';
    }
  }

  private ancestors(sha: string): Set<string> {
    const seen = new Set<string>();
    const stack = [sha];
    while (stack.length > 0) {
      const next = stack.pop()!;
      if (seen.has(next)) continue;
      seen.add(next);
      stack.push(...(this.commits.get(next)?.parents ?? []));
    }
    return seen;
  }

  private createBlob(body: Body) {
    const content = body.encoding === 'base64' ? Buffer.from(body.content, 'base64').toString('utf8') : String(body.content);
    const sha = sha1(`blob ${Buffer.byteLength(content)}\0${content}`);
    this.blobs.set(sha, content);
    return { sha, url: `${this.url}/repos/${this.owner}/${this.repo}/git/blobs/${sha}` };
  }

  private blobBody(sha: string) {
    const content = this.blobs.get(sha);
    if (content === undefined) throw new HttpError(404, 'Not Found');
    // GitHub wraps base64 at 60 characters.
    const encoded = Buffer.from(content).toString('base64').replace(/.{60}/g, '$&\n');
    return { sha, size: Buffer.byteLength(content), encoding: 'base64', content: encoded };
  }

  private createTree(body: Body) {
    const entries = new Map(body.base_tree ? (this.trees.get(body.base_tree) ?? new Map<string, string>()) : new Map<string, string>());
    if (body.base_tree && !this.trees.has(body.base_tree)) throw new HttpError(422, 'Invalid tree info');
    for (const e of body.tree as { path: string; sha?: string | null; content?: string }[]) {
      if (e.content !== undefined) entries.set(e.path, this.createBlob({ content: e.content }).sha);
      else if (e.sha === null) entries.delete(e.path);
      else if (e.sha && this.blobs.has(e.sha)) entries.set(e.path, e.sha);
      else throw new HttpError(422, `tree.sha ${e.sha} is not a valid blob`);
    }
    return this.treeBody(this.putTree(entries));
  }

  private treeBody(sha: string) {
    const entries = this.trees.get(sha);
    if (!entries) throw new HttpError(404, 'Not Found');
    const folders = new Set<string>();
    for (const path of entries.keys()) path.split('/').slice(0, -1).forEach((_, i, parts) => folders.add(parts.slice(0, i + 1).join('/')));
    const tree = [
      ...[...folders].map((path) => ({ path, mode: '040000', type: 'tree', sha: sha1(`dir:${sha}:${path}`) })),
      ...[...entries].map(([path, blob]) => ({ path, mode: '100644', type: 'blob', sha: blob, size: Buffer.byteLength(this.blobs.get(blob)!) })),
    ].sort((a, b) => (a.path < b.path ? -1 : 1));
    return { sha, tree, truncated: false };
  }

  private createCommit(body: Body, user: FakeGitHubUser) {
    if (!this.trees.has(body.tree)) throw new HttpError(422, 'Tree SHA does not exist');
    for (const parent of body.parents ?? []) this.commit(parent);
    const author = body.author ? { name: body.author.name, email: body.author.email, date: now() } : { name: user.login, email: user.email, date: now() };
    // As documented: the committer defaults to the author.
    const committer = body.committer ? { name: body.committer.name, email: body.committer.email, date: now() } : author;
    const commit: GitCommit = { sha: '', tree: body.tree, parents: body.parents ?? [], message: body.message, author, committer };
    commit.sha = sha1(JSON.stringify({ ...commit, n: this.commits.size }));
    this.commits.set(commit.sha, commit);
    return this.commitBody(commit);
  }

  private commitBody(c: GitCommit) {
    return { sha: c.sha, tree: { sha: c.tree }, parents: c.parents.map((sha) => ({ sha })), message: c.message, author: c.author, committer: c.committer };
  }

  private contentsBody(path: string, ref: string) {
    const sha = this.refs.get(ref) ?? (this.commits.has(ref) ? ref : undefined);
    if (!sha) throw new HttpError(404, `No commit found for the ref ${ref}`);
    const blob = this.trees.get(this.commit(sha).tree)!.get(path);
    if (!blob) throw new HttpError(404, 'Not Found');
    return { type: 'file', encoding: 'base64', path, name: path.split('/').pop(), sha: blob, content: this.blobBody(blob).content };
  }

  private pull(number: number): Pull {
    const found = this.pulls.find((p) => p.number === number);
    if (!found) throw new HttpError(404, 'Not Found');
    return found;
  }

  private pullBody(p: Pull) {
    return {
      number: p.number,
      title: p.title,
      body: p.body,
      state: p.state,
      merged_at: p.merged_at,
      user: { login: p.user },
      head: { ref: p.head, sha: this.refs.get(p.head), label: `${this.owner}:${p.head}` },
      base: { ref: p.base, sha: this.refs.get(p.base) },
      labels: p.labels.map((name) => ({ name })),
      html_url: `${this.url}/${this.owner}/${this.repo}/pull/${p.number}`,
    };
  }

  private listPulls(query: URLSearchParams) {
    const state = query.get('state') ?? 'open';
    const head = query.get('head');
    const base = query.get('base');
    return this.page(
      this.pulls
        .filter((p) => state === 'all' || p.state === state)
        .filter((p) => !head || `${this.owner}:${p.head}` === head)
        .filter((p) => !base || p.base === base)
        .map((p) => this.pullBody(p)),
      query,
    );
  }

  private createPull(body: Body, user: FakeGitHubUser) {
    if (!this.refs.has(body.head) || !this.refs.has(body.base)) throw new HttpError(422, 'Validation Failed');
    if (this.pulls.some((p) => p.state === 'open' && p.head === body.head && p.base === body.base)) throw new HttpError(422, `A pull request already exists for ${this.owner}:${body.head}.`);
    const pull: Pull = { number: this.pulls.length + 1, title: body.title, body: body.body ?? null, state: 'open', merged_at: null, user: user.login, head: body.head, base: body.base, labels: [] };
    this.pulls.push(pull);
    return this.pullBody(pull);
  }

  /** The pull request's own commits: reachable from its head, not from its base. */
  private pullCommits(p: Pull) {
    const onBase = this.ancestors(this.refs.get(p.base)!);
    const own = [...this.ancestors(this.refs.get(p.head)!)].filter((sha) => !onBase.has(sha)).map((sha) => this.commit(sha));
    return own.reverse().map((c) => {
      const [author, committer] = [this.loginOf(c.author.email), this.loginOf(c.committer.email)];
      return {
        sha: c.sha,
        commit: { author: c.author, committer: c.committer, message: c.message },
        author: author ? { login: author } : null,
        committer: committer ? { login: committer } : null,
      };
    });
  }

  private reviewBody(r: Review) {
    return { id: r.id, user: { login: r.user }, state: r.state, commit_id: r.commit_id, body: r.body };
  }

  private createReview(p: Pull, body: Body, user: FakeGitHubUser) {
    const events: Record<string, Review['state']> = { APPROVE: 'APPROVED', REQUEST_CHANGES: 'CHANGES_REQUESTED', COMMENT: 'COMMENTED' };
    const state = events[body.event];
    if (!state) throw new HttpError(422, 'Unprocessable Entity: event');
    if (p.user === user.login && state !== 'COMMENTED') throw new HttpError(422, `Unprocessable Entity: Can not ${state === 'APPROVED' ? 'approve' : 'request changes on'} your own pull request`);
    const review: Review = { id: this.nextReview++, user: user.login, state, commit_id: body.commit_id ?? this.refs.get(p.head)!, body: body.body ?? '' };
    this.reviews.set(p.number, [...(this.reviews.get(p.number) ?? []), review]);
    return this.reviewBody(review);
  }

  /** Why branch protection refuses the merge, in GitHub's words, or null. */
  private refusal(p: Pull, merger: string): string | null {
    const rule = this.protections.get(p.base);
    if (!rule || (merger === this.owner && !rule.enforce_admins)) return null;
    const head = this.refs.get(p.head)!;
    const reviews = rule.required_pull_request_reviews;
    if (reviews) {
      const latest = new Map<string, Review>();
      for (const r of this.reviews.get(p.number) ?? []) if (r.state !== 'COMMENTED') latest.set(r.user, r);
      if ([...latest.values()].some((r) => r.state === 'CHANGES_REQUESTED')) return 'Changes must be made before merging.';
      const lastPusher = this.pushers.get(p.head);
      const approvals = [...latest.values()].filter(
        (r) => r.state === 'APPROVED' && r.user !== p.user && (!reviews.dismiss_stale_reviews || r.commit_id === head) && (!reviews.require_last_push_approval || r.user !== lastPusher),
      );
      if (approvals.length < reviews.required_approving_review_count) {
        return `At least ${reviews.required_approving_review_count} approving reviews are required by reviewers with write access.`;
      }
    }
    for (const check of rule.required_status_checks?.checks ?? []) {
      const fromApp = (s: Status) => check.app_id === null || check.app_id === -1 || s.app_id === check.app_id;
      const latest = (this.statuses.get(head) ?? []).find((s) => s.context === check.context && fromApp(s));
      if (latest?.state !== 'success') return `Required status check "${check.context}" is ${latest ? 'failing' : 'expected'}.`;
    }
    return null;
  }

  private merge(p: Pull, body: Body, user: FakeGitHubUser) {
    if (p.state !== 'open') throw new HttpError(405, 'Pull Request is not mergeable');
    const head = this.refs.get(p.head)!;
    if (body.sha && body.sha !== head) throw new HttpError(409, 'Head branch was modified. Review and try the merge again.');
    const refused = this.refusal(p, user.login);
    if (refused) throw new HttpError(405, refused);
    const base = this.refs.get(p.base)!;
    const tree = this.mergedTree(base, head);
    const commit = this.createCommit({ tree, parents: [base, head], message: `Merge pull request #${p.number} from ${this.owner}/${p.head}` }, user);
    this.refs.set(p.base, commit.sha);
    p.state = 'closed';
    p.merged_at = now();
    return { sha: commit.sha, merged: true, message: 'Pull Request successfully merged' };
  }

  /** A three-way merge of flat trees; a path both sides changed differently is a conflict. */
  private mergedTree(base: string, head: string): string {
    const onBase = this.ancestors(base);
    const mergeBase = [...this.ancestors(head)].find((sha) => onBase.has(sha))!;
    const [o, a, b] = [mergeBase, base, head].map((sha) => this.trees.get(this.commit(sha).tree)!);
    const result = new Map(a);
    for (const path of new Set([...o!.keys(), ...b!.keys()])) {
      if (o!.get(path) === b!.get(path)) continue;
      if (a!.get(path) !== o!.get(path) && a!.get(path) !== b!.get(path)) throw new HttpError(405, 'Pull Request is not mergeable');
      const blob = b!.get(path);
      if (blob === undefined) result.delete(path);
      else result.set(path, blob);
    }
    return this.putTree(result);
  }

  private addLabels(p: Pull, body: Body) {
    for (const name of body.labels as string[]) {
      this.labels.add(name);
      if (!p.labels.includes(name)) p.labels.push(name);
    }
    return p.labels.map((name) => ({ name }));
  }

  private protect(branch: string, body: Body) {
    if (!this.refs.has(branch)) throw new HttpError(404, 'Branch not found');
    for (const key of ['required_status_checks', 'enforce_admins', 'required_pull_request_reviews', 'restrictions']) {
      if (!(key in body)) throw new HttpError(422, `Invalid request.\n\n"${key}" wasn't supplied.`);
    }
    const checks = body.required_status_checks;
    if (checks !== null && (typeof checks?.strict !== 'boolean' || !Array.isArray(checks?.contexts))) {
      throw new HttpError(422, 'Invalid request.\n\n"strict", "contexts" are required in required_status_checks.');
    }
    // `checks` supersedes the deprecated `contexts`; a context alone may come from any App or user.
    const required: RequiredCheck[] | null =
      checks === null ? null : Array.isArray(checks.checks) ? checks.checks.map((c: Body) => ({ context: String(c.context), app_id: typeof c.app_id === 'number' ? c.app_id : null })) : checks.contexts.map((c: string) => ({ context: c, app_id: null }));
    this.protections.set(branch, {
      required_status_checks: required === null ? null : { strict: checks.strict, contexts: required.map((c) => c.context), checks: required },
      enforce_admins: body.enforce_admins === true,
      required_pull_request_reviews: body.required_pull_request_reviews,
    });
    return this.protections.get(branch);
  }

  private createStatus(sha: string, body: Body, user: FakeGitHubUser) {
    this.commit(sha);
    if (!['pending', 'success', 'failure', 'error'].includes(body.state)) throw new HttpError(422, 'Validation Failed');
    const status: Status = { context: body.context ?? 'default', state: body.state, description: body.description ?? '', target_url: body.target_url ?? null, creator: { login: user.login }, app_id: user.appId ?? null };
    // The newest status of a context comes first.
    this.statuses.set(sha, [status, ...(this.statuses.get(sha) ?? [])]);
    return status;
  }

  private ruleset(id: number): Ruleset {
    const found = this.rulesets.find((r) => r.id === id);
    if (!found) throw new HttpError(404, 'Not Found');
    return found;
  }

  private putRuleset(existing: Ruleset | null, body: Body): Ruleset {
    const include = body.conditions?.ref_name?.include;
    if (typeof body.name !== 'string' || !Array.isArray(include) || !Array.isArray(body.rules)) throw new HttpError(422, 'Validation Failed');
    if (!['active', 'disabled', 'evaluate'].includes(body.enforcement)) throw new HttpError(422, 'Invalid property /enforcement');
    const ruleset: Ruleset = {
      id: existing?.id ?? this.rulesets.length + 1,
      name: body.name,
      target: 'branch',
      enforcement: body.enforcement,
      bypass_actors: (body.bypass_actors ?? []).map((a: Body) => ({ actor_id: a.actor_id ?? null, actor_type: String(a.actor_type), bypass_mode: a.bypass_mode ?? 'always' })),
      conditions: { ref_name: { include, exclude: body.conditions.ref_name.exclude ?? [] } },
      rules: body.rules.map((r: Body) => ({ type: String(r.type), ...(r.parameters ? { parameters: r.parameters } : {}) })),
    };
    if (existing) this.rulesets.splice(this.rulesets.indexOf(existing), 1, ruleset);
    else this.rulesets.push(ruleset);
    return ruleset;
  }

  /** Refuses a ref write an active ruleset forbids, unless the writer is one of its bypass actors. */
  private checkRules(branch: string, type: 'creation' | 'update' | 'non_fast_forward', user: FakeGitHubUser) {
    const ref = `refs/heads/${branch}`;
    for (const r of this.rulesets.filter((r) => r.enforcement === 'active')) {
      const { include, exclude } = r.conditions.ref_name;
      if (!include.some((p) => refMatches(p, ref)) || exclude.some((p) => refMatches(p, ref))) continue;
      if (!r.rules.some((rule) => rule.type === type || (type === 'non_fast_forward' && rule.type === 'update'))) continue;
      const bypass = r.bypass_actors.some((a) => a.actor_type === 'Integration' && user.appId !== undefined && a.actor_id === user.appId);
      if (!bypass) throw new HttpError(422, `Repository rule violations found\n\n${type === 'creation' ? 'Cannot create ref due to creations being restricted' : 'Cannot update this protected ref'}.`);
    }
  }
}

/** fnmatch as rulesets use it: `**` crosses `/`, `*` does not; `~DEFAULT_BRANCH` and `~ALL` are GitHub's own names. */
function refMatches(pattern: string, ref: string): boolean {
  if (pattern === '~ALL') return true;
  if (pattern === '~DEFAULT_BRANCH') return ref === 'refs/heads/main';
  const source = pattern.split(/(\*\*|\*)/).map((part) => (part === '**' ? '.*' : part === '*' ? '[^/]*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`).test(ref);
}
