// GitHubHost against a fake of GitHub's REST API built from its published shapes: the same contract as Gitea.
import { randomBytes } from 'node:crypto';
import { FakeGitHub, type FakeGitHubUser } from '../../test/fakes/github.js';
import { FLEET_PROTECTION, protect, VERIFY_CONTEXT } from '../protect.js';
import { GitHubHost } from './github.js';
import { describeHostContract, seedRepository, type ContractRole, type HostUnderTest } from './host-contract.js';

const LOGINS: Record<ContractRole, string> = { admin: 'root-admin', bot: 'posbon-bot', reviewerA: 'alice', reviewerB: 'bob', outsider: 'carol' };
const ROLES = Object.keys(LOGINS) as ContractRole[];

async function startFake(): Promise<{ fake: FakeGitHub; underTest: HostUnderTest }> {
  const users: Record<ContractRole, FakeGitHubUser> = Object.fromEntries(
    ROLES.map((role) => [role, { login: LOGINS[role], email: `${LOGINS[role]}@posbon.test`, token: `ghp_${randomBytes(12).toString('hex')}` }]),
  ) as Record<ContractRole, FakeGitHubUser>;
  const fake = new FakeGitHub(ROLES.map((r) => users[r]));
  await fake.start();
  const host = (role: ContractRole) => GitHubHost.create({ url: fake.url, owner: fake.owner, repo: fake.repo, token: users[role].token });
  const underTest: HostUnderTest = {
    host,
    login: (role) => users[role].login,
    email: (role) => users[role].email,
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
  it('stores two approvals, stale dismissal, last-push approval, code owners and posbon/verify, for admins too', async () => {
    const { fake, underTest } = await startFake();
    fakes.push(fake);
    await protect(underTest.host('admin'), { fleet: ['alice', 'bob'], mediaNodes: ['carol'] });
    expect(fake.protection('main')).toEqual({
      required_status_checks: { strict: true, contexts: [VERIFY_CONTEXT] },
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
