// GitHubHost against a fake of GitHub's REST API built from its published shapes: the same contract as Gitea.
import { randomBytes } from 'node:crypto';
import { FakeGitHub, type FakeGitHubUser } from '../../test/fakes/github.js';
import { FLEET_PROTECTION, protect, VERIFY_CONTEXT } from '../protect.js';
import { proposeFleetChange } from '../fleet-change.js';
import { GitHubHost } from './github.js';
import { describeHostContract, seedRepository, type ContractRole, type HostUnderTest } from '../../test/gitops/host-contract.js';

const LOGINS: Record<ContractRole, string> = { admin: 'root-admin', bot: 'posbon-bot', reviewerA: 'alice', reviewerB: 'bob', outsider: 'carol' };
const ROLES = Object.keys(LOGINS) as ContractRole[];
/** The bot is a GitHub App: its installation token acts as the App. */
const BOT_APP_ID = 314159;

async function startFake(): Promise<{ fake: FakeGitHub; underTest: HostUnderTest }> {
  const users: Record<ContractRole, FakeGitHubUser> = Object.fromEntries(
    ROLES.map((role) => [
      role,
      { login: LOGINS[role], email: `${LOGINS[role]}@posbon.test`, token: `ghp_${randomBytes(12).toString('hex')}`, ...(role === 'bot' ? { appId: BOT_APP_ID } : {}) },
    ]),
  ) as Record<ContractRole, FakeGitHubUser>;
  const fake = new FakeGitHub(ROLES.map((r) => users[r]));
  await fake.start();
  const host = (role: ContractRole) => GitHubHost.create({ url: fake.url, owner: fake.owner, repo: fake.repo, token: users[role].token, ...(role === 'bot' ? { bot: users.bot.login } : {}) });
  const underTest: HostUnderTest = {
    host,
    login: (role) => users[role].login,
    email: (role) => users[role].email,
    bot: { login: users.bot.login, appId: BOT_APP_ID },
    async review(role, pr, sha, verdict) {
      const response = await fetch(`${fake.url}/repos/${fake.owner}/${fake.repo}/pulls/${pr}/reviews`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${users[role].token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ commit_id: sha, event: verdict === 'approve' ? 'APPROVE' : 'REQUEST_CHANGES', body: 'reviewed' }),
      });
      return response.status;
    },
  };
  return { fake, underTest };
}

const fakes: FakeGitHub[] = [];
afterAll(async () => {
  for (const fake of fakes) await fake.stop();
});

describeHostContract('GitHub', async () => {
  const { fake, underTest } = await startFake();
  fakes.push(fake);
  await seedRepository(underTest);
  return underTest;
});

describe('GitHubHost protect', () => {
  it('stores two approvals, stale dismissal, last-push approval, code owners and posbon/verify from the App, for admins too', async () => {
    const { fake, underTest } = await startFake();
    fakes.push(fake);
    await protect(underTest.host('admin'), { fleet: ['alice', 'bob'], mediaNodes: ['carol'] }, underTest.bot);
    expect(fake.protection('main')).toEqual({
      required_status_checks: { strict: true, contexts: [VERIFY_CONTEXT], checks: [{ context: VERIFY_CONTEXT, app_id: BOT_APP_ID }] },
      enforce_admins: true,
      required_pull_request_reviews: {
        required_approving_review_count: FLEET_PROTECTION.requiredApprovals,
        dismiss_stale_reviews: true,
        require_code_owner_reviews: true,
        require_last_push_approval: true,
      },
    });
    expect(await underTest.host('admin').readFile('main', '.github/CODEOWNERS')).toBe(
      '# Reviewers of fleet changes; written by posbon-gitops protect.\n* @alice @bob\nclusters/*/media-nodes/ @carol\n',
    );
  });
});

describe('GitHubHost protect pins the checks and the proposal branches to the App', () => {
  let fake: FakeGitHub;
  let underTest: HostUnderTest;
  beforeAll(async () => {
    ({ fake, underTest } = await startFake());
    fakes.push(fake);
    await seedRepository(underTest);
  });

  it('writes one ruleset for posbon/ branches that only the App bypasses, and keeps it one when run again', async () => {
    await protect(underTest.host('admin'), { fleet: ['alice', 'bob', 'carol'] }, underTest.bot);
    const response = await fetch(`${fake.url}/repos/${fake.owner}/${fake.repo}/rulesets`, { headers: { Authorization: `Bearer ${fake.users[0]!.token}` } });
    expect(await response.json()).toEqual([
      {
        id: 1,
        name: 'posbon proposal branches (posbon/**)',
        target: 'branch',
        enforcement: 'active',
        bypass_actors: [{ actor_id: BOT_APP_ID, actor_type: 'Integration', bypass_mode: 'always' }],
        conditions: { ref_name: { include: ['refs/heads/posbon/**'], exclude: [] } },
        rules: [{ type: 'creation' }, { type: 'update' }, { type: 'deletion' }, { type: 'non_fast_forward' }],
      },
    ]);
  });

  it('merges only on the App\'s own posbon/verify status, not on one any writer posts', async () => {
    const { pullRequest } = await proposeFleetChange(underTest.host('bot'), {
      env: 'dev',
      put: [{ ...gate, metadata: { name: 'school-17-lane' }, spec: { ...gate.spec, publicHost: 'lane.schools.example.org', credentialsSecretRef: { name: 'nvr-school-17-lane-00000000' } } }],
    });
    const { number, head } = pullRequest;
    for (const role of ['reviewerA', 'reviewerB'] as const) expect(await underTest.review(role, number, head.sha, 'approve')).toBe(200);
    // A writer's own success status, under the same context, is not the App's.
    await underTest.host('reviewerA').createStatus(head.sha, { context: VERIFY_CONTEXT, state: 'success', description: 'trust me' });
    expect(await underTest.host('reviewerB').merge(number, head.sha).then(() => 'merged', (e: Error) => e.message)).toMatch(/: 405 Required status check "posbon\/verify" is expected\.$/);
    await underTest.host('bot').createStatus(head.sha, { context: VERIFY_CONTEXT, state: 'success', description: 'policies and two-person rule pass' });
    await underTest.host('reviewerB').merge(number, head.sha);
    expect((await underTest.host('admin').getPullRequest(number)).state).toBe('merged');
  });

  it('refuses protect without the App id: nothing else can pin the check', async () => {
    await expect(protect(underTest.host('admin'), { fleet: ['alice', 'bob', 'carol'] }, { login: 'posbon-bot' })).rejects.toThrow('bot: on GitHub the bot is an App, whose id pins posbon/verify and the proposal branches to it (--bot-app-id)');
  });
});

const gate = {
  apiVersion: 'posbon.io/v1alpha1',
  kind: 'Nvr',
  metadata: { name: 'school-17-gate' },
  spec: { schoolRef: 'school-17', vendor: 'hikvision', publicHost: 'gate.schools.example.org', credentialsSecretRef: { name: 'nvr-school-17-gate-00000000' } },
};

describe('proposeFleetChange refuses, before opening anything', () => {
  let underTest: HostUnderTest;
  beforeAll(async () => {
    const started = await startFake();
    fakes.push(started.fake);
    underTest = started.underTest;
    await seedRepository(underTest);
  });

  const nvr = (spec: Record<string, unknown>) => ({
    apiVersion: 'posbon.io/v1alpha1',
    kind: 'Nvr',
    metadata: { name: 'school-17-gate' },
    spec: { schoolRef: 'school-17', vendor: 'hikvision', publicHost: 'gate.schools.example.org', credentialsSecretRef: { name: 'nvr-school-17-gate-00000000' }, ...spec },
  });
  const attempt = (request: Parameters<typeof proposeFleetChange>[1]) => proposeFleetChange(underTest.host('bot'), request).then(() => 'proposed', (e: Error) => `${e.name}: ${e.message}`);

  it.each([
    ['an object the schema rejects, naming the field', { env: 'dev', put: [nvr({ publicHost: '192.168.1.10' })] }, /^InputError: put\[0\]\.spec\.publicHost: must be a public IP address or DNS name/],
    ['a plaintext password', { env: 'dev', put: [nvr({ password: 'hunter2' })] }, /^InputError: put\[0\]\.spec\.password: unknown field "password"$/],
    ['an NVR of a school that does not exist', { env: 'dev', put: [nvr({ schoolRef: 'school-99' })] }, /^PolicyViolationError: files: references-resolve: .*spec\.schoolRef school-99 names no School/],
    ['removing a media node that was not drained', { env: 'dev', remove: [{ kind: 'MediaNode' as const, name: 'fsn1-a' }] }, /^PolicyViolationError: files: media-node-removed-only-when-drained: .*MediaNode fsn1-a is removed without being drained first/],
    ['removing what is not there', { env: 'dev', remove: [{ kind: 'Nvr' as const, name: 'school-17-nothing' }] }, /^InputError: remove\[0\]: Nvr\/school-17-nothing is not in clusters\/dev$/],
    ['an empty change', { env: 'dev' }, /^InputError: put: a change puts or removes at least one object$/],
  ])('%s', async (_name, request, expected) => {
    expect(await attempt(request)).toMatch(expected);
    expect(await underTest.host('admin').listPullRequests('all')).toEqual([]);
  });
});

describe('GitHubHost under rate limits and a busy front', () => {
  let fake: FakeGitHub;
  let sleeps: number[];
  const admin = () => fake.users[0]!;
  /** The admin's host; its waits are recorded instead of slept, so a test takes no longer than the host answers. */
  const host = (user: FakeGitHubUser = admin()) =>
    GitHubHost.create({ url: fake.url, owner: fake.owner, repo: fake.repo, token: user.token, retry: { sleep: async (ms) => void sleeps.push(ms) } });
  const repo = () => `/repos/${fake.owner}/${fake.repo}`;
  const failure = (promise: Promise<unknown>) => promise.then(() => 'done', (e: Error & { status?: number }) => `${e.status} ${e.message}`);

  beforeAll(async () => {
    ({ fake } = await startFake());
    fakes.push(fake);
  });
  beforeEach(() => {
    sleeps = [];
    fake.requests.length = 0;
  });

  it("waits as long as a secondary limit's retry-after says, then carries the request out", async () => {
    fake.limitNext({ kind: 'secondary', retryAfterSeconds: 2 });
    expect(await host().defaultBranch()).toBe('main');
    expect(sleeps).toEqual([2000]);
    expect(fake.requests).toEqual([`GET ${repo()}`, `GET ${repo()}`]);
  });

  it('waits for the primary limit to reset, and then sends a write again too: a limited request was never carried out', async () => {
    const sha = (await host().branchHead('main'))!;
    fake.limitNext({ kind: 'primary', status: 429, resetInSeconds: 2 });
    await host().createStatus(sha, { context: 'posbon/verify', state: 'pending', description: 'checking' });
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThan(0);
    expect(sleeps[0]).toBeLessThanOrEqual(2000);
    expect(fake.requests.slice(1)).toEqual([`POST ${repo()}/statuses/${sha}`, `POST ${repo()}/statuses/${sha}`]);
  });

  it('fails at once, in one line naming the reset, when the limit resets later than it would wait', async () => {
    fake.limitNext({ kind: 'primary', resetInSeconds: 3600 });
    expect(await failure(host().defaultBranch())).toMatch(
      /^403 GET \/repos\/[^ ]+: 403 API rate limit exceeded for user ID \d+\.; rate limited until \d{4}-\d\d-\d\dT[\d:.]+Z, later than this client waits$/,
    );
    expect({ sleeps, requests: fake.requests.length }).toEqual({ sleeps: [], requests: 1 });
  });

  it('waits a minute, then twice as long, on a secondary limit that names no time, and gives up past its longest wait', async () => {
    fake.limitNext({ kind: 'secondary' }, { kind: 'secondary' });
    expect(await failure(host().defaultBranch())).toMatch(/^403 GET \/repos\/[^ ]+: 403 You have exceeded a secondary rate limit\. .*; rate limited until .*, later than this client waits$/);
    expect(sleeps).toEqual([60_000]);
  });

  it('gives up after its attempts with the last answer', async () => {
    fake.limitNext(...Array.from({ length: 4 }, () => ({ kind: 'secondary' as const, status: 429 as const, retryAfterSeconds: 1 })));
    expect(await failure(host().defaultBranch())).toMatch(/^429 GET \/repos\/[^ ]+: 429 You have exceeded a secondary rate limit\./);
    expect({ sleeps, requests: fake.requests.length }).toEqual({ sleeps: [1000, 1000, 1000], requests: 4 });
  });

  it('tries a read again after a 502, never a write, whose first try may have been carried out', async () => {
    fake.limitNext({ kind: 'unavailable' });
    expect(await host().defaultBranch()).toBe('main');
    expect(sleeps).toHaveLength(1);
    const sha = (await host().branchHead('main'))!;
    fake.requests.length = 0;
    fake.limitNext({ kind: 'unavailable' });
    expect(await failure(host().createStatus(sha, { context: 'posbon/verify', state: 'pending', description: 'checking' }))).toBe(
      `502 POST ${repo()}/statuses/${sha}: 502 Server Error`,
    );
    expect(fake.requests).toEqual([`POST ${repo()}/statuses/${sha}`]);
  });

  it('does not retry a 403 that is no rate limit: it is a permission', async () => {
    const app = fake.users.find((u) => u.appId !== undefined)!;
    // Without the bot's login the App's token asks /user for its identity, which GitHub refuses to an App.
    const change = host(app).commitFiles({ branch: 'main', message: 'm', files: [{ path: 'a.txt', content: 'a' }], author: { name: 'A', email: 'a@posbon.test' } });
    expect(await failure(change)).toBe('403 GET /user: 403 Resource not accessible by integration');
    expect(fake.requests.filter((r) => r === 'GET /user')).toEqual(['GET /user']);
    expect(sleeps).toEqual([]);
  });
});
