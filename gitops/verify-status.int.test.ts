// posbon/verify as the fleet repository's CI posts it: `protect` ships the workflows, and `verify --open --status`
// run as a process posts each open pull request's verdict, on real Gitea and on the GitHub fake.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FakeGitHub, type FakeGitHubUser } from '../test/fakes/github.js';
import { startGitea, type Gitea } from '../test/harness/gitea.js';
import { proposeFleetChange } from './fleet-change.js';
import type { GitHost } from './hosts/git-host.js';
import { GiteaHost } from './hosts/gitea.js';
import { GitHubHost } from './hosts/github.js';
import { seedRepository, type ContractRole, type HostUnderTest } from '../test/gitops/host-contract.js';
import { VERIFY_CONTEXT } from './protect.js';
import { verifyWorkflows } from './workflows/verify-workflow.js';

const run = promisify(execFile);
const RUN_URL = 'https://ci.example.org/fleet/actions/runs/42';

interface Scenario extends HostUnderTest {
  kind: GitHost['kind'];
  /** POSBON_GIT_* for the bot, as the workflow sets them. */
  env: Record<string, string>;
  /** The head's posbon/verify statuses, newest first, as the host's API lists them. */
  statuses(sha: string): Promise<Array<{ state: string; description: string; targetUrl: string | null }>>;
}

const cli = (env: Record<string, string>, args: string[]) =>
  run(join(process.cwd(), 'node_modules/.bin/tsx'), ['gitops/cli/main.ts', 'verify', ...args], { env: { ...process.env, ...env } }).then(
    (r) => ({ code: 0, stdout: r.stdout.trim(), stderr: r.stderr.trim() }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout.trim(), stderr: e.stderr.trim() }),
  );

const gateNvr = {
  apiVersion: 'posbon.io/v1alpha1',
  kind: 'Nvr',
  metadata: { name: 'school-17-gate-9' },
  spec: {
    schoolRef: 'school-17',
    vendor: 'hikvision',
    publicHost: 'gate9.schools.example.org',
    credentialsSecretRef: { name: 'nvr-school-17-gate-9-0a1b2c3d' },
    cameras: [{ id: 'gate', name: 'Gate', channel: 1 }],
  },
};

function describeVerifyStatus(name: string, setup: () => Promise<Scenario>): void {
  describe(`posbon/verify on ${name}`, () => {
    let s: Scenario;
    beforeAll(async () => {
      s = await setup();
      await seedRepository(s);
    }, 300_000);

    it('ships the workflows with protect: verify runs from the default branch, reviews only trigger it', async () => {
      const files = verifyWorkflows(s.kind);
      expect(files.map((f) => f.path)).toEqual([`.${s.kind}/workflows/posbon-verify.yaml`, `.${s.kind}/workflows/posbon-review.yaml`]);
      for (const file of files) expect(await s.host('admin').readFile('main', file.path)).toBe(file.content);
    });

    it('posts pending, then the verdict with the run link, on every open pull request; approvals turn it to success', async () => {
      const { pullRequest } = await proposeFleetChange(s.host('bot'), {
        env: 'dev',
        put: [gateNvr],
        requestedBy: { name: s.login('outsider'), email: s.email('outsider') },
      });
      const sha = pullRequest.head.sha;
      const blocked = await cli(s.env, ['--open', '--status', '--target-url', RUN_URL]);
      const rule = `two-person-rule: 2 approvals of head ${sha.slice(0, 7)} from people other than the authors (${s.login('outsider')}) and the bot are required; found 0`;
      expect(blocked).toEqual({ code: 1, stdout: `#${pullRequest.number} ${sha.slice(0, 7)} fail: ${rule}`, stderr: '' });
      expect(await s.statuses(sha)).toEqual([
        { state: 'failure', description: rule.slice(0, 140), targetUrl: RUN_URL },
        { state: 'pending', description: 'verifying policies and the two-person rule', targetUrl: RUN_URL },
      ]);

      for (const role of ['reviewerA', 'reviewerB'] as ContractRole[]) expect(await s.review(role, pullRequest.number, sha, 'approve')).toBe(200);
      const passing = await cli(s.env, ['--open', '--status', '--target-url', RUN_URL]);
      expect(passing).toEqual({ code: 0, stdout: `#${pullRequest.number} ${sha.slice(0, 7)} pass`, stderr: '' });
      expect((await s.statuses(sha)).slice(0, 2)).toEqual([
        { state: 'success', description: 'policies and two-person rule pass', targetUrl: RUN_URL },
        { state: 'pending', description: 'verifying policies and the two-person rule', targetUrl: RUN_URL },
      ]);
    });

    it('refuses --open beside a fleet folder, in one line', async () => {
      expect(await cli(s.env, ['--open', 'gitops/example'])).toEqual({
        code: 2,
        stdout: '',
        stderr: 'error: --open: reads every open pull request from the host; give no FLEET_DIR, --base or --pr',
      });
    });
  });
}

let gitea: Gitea | undefined;
let fake: FakeGitHub | undefined;
afterAll(async () => {
  await gitea?.stop();
  await fake?.stop();
});

describeVerifyStatus('Gitea', async () => {
  gitea = await startGitea(process.env.POSBON_TEST_PG_URL!);
  const g = gitea;
  const repo = await g.createRepository(`fleet-${randomBytes(3).toString('hex')}`);
  const api = async (role: ContractRole, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${g.url}/api/v1/repos/${repo.owner}/${repo.repo}${path}`, {
      method,
      headers: { Authorization: `token ${g.users[role].token}`, 'Content-Type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as unknown };
  };
  return {
    kind: 'gitea',
    host: (role) => GiteaHost.create({ url: g.url, ...repo, token: g.users[role].token }),
    login: (role) => g.users[role].login,
    email: (role) => g.users[role].email,
    bot: { login: g.users.bot.login },
    review: async (role, pr, sha, verdict) =>
      (await api(role, 'POST', `/pulls/${pr}/reviews`, { event: verdict === 'approve' ? 'APPROVED' : 'REQUEST_CHANGES', body: 'reviewed', commit_id: sha })).status,
    env: { POSBON_GIT_HOST: 'gitea', POSBON_GIT_URL: g.url, POSBON_GIT_REPO: `${repo.owner}/${repo.repo}`, POSBON_GIT_TOKEN: g.users.bot.token, POSBON_GIT_BOT: g.users.bot.login },
    async statuses(sha) {
      const { body } = await api('admin', 'GET', `/commits/${sha}/statuses`);
      // Newest first by id: Gitea's own sort is by a timestamp of whole seconds, which two quick statuses share.
      return (body as Array<{ id: number; context: string; status: string; description: string; target_url: string }>)
        .filter((st) => st.context === VERIFY_CONTEXT)
        .sort((a, b) => b.id - a.id)
        .map((st) => ({ state: st.status, description: st.description, targetUrl: st.target_url || null }));
    },
  };
});

describeVerifyStatus('the GitHub fake', async () => {
  const logins: Record<ContractRole, string> = { admin: 'root-admin', bot: 'posbon-bot', reviewerA: 'alice', reviewerB: 'bob', outsider: 'carol' };
  const appId = 271828;
  const users = Object.fromEntries(
    (Object.keys(logins) as ContractRole[]).map((role) => [
      role,
      { login: logins[role], email: `${logins[role]}@posbon.test`, token: `ghp_${randomBytes(12).toString('hex')}`, ...(role === 'bot' ? { appId } : {}) },
    ]),
  ) as Record<ContractRole, FakeGitHubUser>;
  fake = new FakeGitHub(Object.values(users));
  await fake.start();
  const f = fake;
  const repoPath = `${f.url}/repos/${f.owner}/${f.repo}`;
  return {
    kind: 'github',
    host: (role) => GitHubHost.create({ url: f.url, owner: f.owner, repo: f.repo, token: users[role].token, ...(role === 'bot' ? { bot: users.bot.login } : {}) }),
    login: (role) => users[role].login,
    email: (role) => users[role].email,
    bot: { login: users.bot.login, appId },
    review: async (role, pr, sha, verdict) =>
      (
        await fetch(`${repoPath}/pulls/${pr}/reviews`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${users[role].token}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ commit_id: sha, event: verdict === 'approve' ? 'APPROVE' : 'REQUEST_CHANGES', body: 'reviewed' }),
        })
      ).status,
    env: { POSBON_GIT_HOST: 'github', POSBON_GIT_URL: f.url, POSBON_GIT_REPO: `${f.owner}/${f.repo}`, POSBON_GIT_TOKEN: users.bot.token, POSBON_GIT_BOT: users.bot.login },
    async statuses(sha) {
      const res = await fetch(`${repoPath}/commits/${sha}/statuses`, { headers: { Authorization: `Bearer ${users.admin.token}` } });
      return ((await res.json()) as Array<{ context: string; state: string; description: string; target_url: string | null }>)
        .filter((st) => st.context === VERIFY_CONTEXT)
        .map((st) => ({ state: st.state, description: st.description, targetUrl: st.target_url }));
    },
  };
});
