// The contract every GitHost keeps, as one suite run against real Gitea and the GitHub fake.
import { readFleetTree } from '../../gitops/fleet-repo/tree.js';
import { parseFleetTree } from '../../gitops/fleet-repo/tree.js';
import { proposeFleetChange } from '../../gitops/fleet-change.js';
import { diffInBody, isFleetFile } from '../../gitops/propose.js';
import { protect, VERIFY_CONTEXT } from '../../gitops/protect.js';
import { verify } from '../../gitops/verify/verify.js';
import { eventually } from '../harness/process.js';
import { HostError, MergeRefusedError, type BotIdentity, type GitHost } from '../../gitops/hosts/git-host.js';

export type ContractRole = 'admin' | 'bot' | 'reviewerA' | 'reviewerB' | 'outsider';

export interface HostUnderTest {
  host(role: ContractRole): GitHost;
  login(role: ContractRole): string;
  email(role: ContractRole): string;
  /** The bot as `protect` names it (on GitHub with its App id). */
  bot: BotIdentity;
  /** Submits a review through the host's own API; returns the HTTP status. */
  review(role: ContractRole, pr: number, sha: string, verdict: 'approve' | 'request-changes'): Promise<number>;
}

const EXAMPLE = 'gitops/example';

/** A fresh repository: the example fleet on main, then protected by `protect`. */
export async function seedRepository(h: HostUnderTest): Promise<void> {
  const example = await readFleetTree(EXAMPLE);
  await h.host('admin').commitFiles({ branch: 'main', message: 'Example fleet', files: [...example.files].map(([path, content]) => ({ path, content })) });
  await protect(h.host('admin'), { fleet: [h.login('reviewerA'), h.login('reviewerB'), h.login('outsider')] }, h.bot);
}

const gateNvr = (n: number, channels = 1) => ({
  apiVersion: 'posbon.io/v1alpha1',
  kind: 'Nvr',
  metadata: { name: `school-17-gate-${n}` },
  spec: {
    schoolRef: 'school-17',
    vendor: 'hikvision',
    publicHost: `gate${n}.schools.example.org`,
    credentialsSecretRef: { name: `nvr-school-17-gate-${n}-0a1b2c3d` },
    cameras: Array.from({ length: channels }, (_, i) => ({ id: `cam-${i + 1}`, name: `Gate camera ${i + 1}`, channel: i + 1 })),
  },
});

const faceIdDevice = (school: string, name: string, serialNumber: string) => ({
  apiVersion: 'posbon.io/v1alpha1',
  kind: 'FaceIdDevice',
  metadata: { name: `${school}-${name}` },
  spec: { schoolRef: school, vendor: 'hikvision', direction: 'in', serialNumber, lan: { localIp: '192.168.42.40' } },
});

export function describeHostContract(name: string, setup: () => Promise<HostUnderTest>): void {
  describe(`${name} keeps the GitHost contract`, () => {
    let h: HostUnderTest;
    beforeAll(async () => {
      h = await setup();
    }, 120_000);

    /** The host's refusal, once it has finished checking the pull request (Gitea checks in the background). */
    const refused = (pr: number, sha: string) =>
      eventually(async () => {
        const error = await h.host('reviewerA').merge(pr, sha).then(() => null, (e: unknown) => e);
        expect(error).toBeInstanceOf(MergeRefusedError);
        if (/try again later/i.test((error as Error).message)) throw new Error('still checking');
      }, 60_000, 250);
    const verifyPass = (sha: string) => h.host('bot').createStatus(sha, { context: VERIFY_CONTEXT, state: 'success', description: 'policies pass' });
    const twoPersonRule = async (pr: number) => verify({ head: parseFleetTree(new Map()), pullRequest: { host: h.host('bot'), number: pr, bot: h.login('bot') } });

    it('reads the tree of a branch and commits many files at once', async () => {
      const bot = h.host('bot');
      const main = await bot.branchHead('main');
      expect(await bot.branchHead('no-such-branch')).toBeNull();
      expect(await bot.createBranch('contract/tree', 'main')).toBe(main);
      const sha = await bot.commitFiles({
        branch: 'contract/tree',
        message: 'Two files in, one out',
        files: [
          { path: 'clusters/dev/schools/school-99/school.yaml', content: 'a: 1\n' },
          { path: 'notes/readme.yaml', content: 'b: 2\n' },
          { path: 'clusters/dev/schools/school-42/nvrs/yard.yaml', content: null },
        ],
      });
      expect(await bot.branchHead('contract/tree')).toBe(sha);
      expect(await bot.readFile('contract/tree', 'notes/readme.yaml')).toBe('b: 2\n');
      expect(await bot.readFile('contract/tree', 'clusters/dev/schools/school-42/nvrs/yard.yaml')).toBeNull();
      const tree = await bot.readTree('contract/tree', (p) => p.startsWith('clusters/'));
      const example = await readFleetTree(EXAMPLE);
      const expected = new Map([...example.files].filter(([p]) => p !== 'clusters/dev/schools/school-42/nvrs/yard.yaml'));
      expected.set('clusters/dev/schools/school-99/school.yaml', 'a: 1\n');
      expect(new Map([...tree].sort())).toEqual(new Map([...expected].sort()));
      expect(await bot.branchHead('main')).toBe(main);
    });

    it('proposes a change once: files, labels, the rendered diff and the requester as author', async () => {
      const request = { env: 'dev', put: [gateNvr(1)], requestedBy: { name: h.login('outsider'), email: h.email('outsider') } };
      const first = await proposeFleetChange(h.host('bot'), request);
      expect(first).toMatchObject({ created: true, committed: true, pullRequest: { author: h.login('bot'), state: 'open', title: 'Add Nvr school-17-gate-1', base: { ref: 'main' } } });
      expect([...first.pullRequest.labels].sort()).toEqual(['kind/Nvr', 'school/school-17']);
      expect(diffInBody(first.pullRequest.body)).toBe(first.diff);
      expect(first.diff).toContain('+  school-17/school-17-gate-1/cam-1:\n+    source: rtsp://REDACTED:REDACTED@gate1.schools.example.org:554/Streaming/Channels/101\n');
      expect(await h.host('admin').readFile(first.branch, 'clusters/dev/schools/school-17/nvrs/gate-1.yaml')).toContain('name: school-17-gate-1');
      expect((await h.host('admin').listPullRequestCommits(first.pullRequest.number)).map((c) => c.authorLogin)).toEqual([h.login('outsider')]);
      expect(await proposeFleetChange(h.host('bot'), request)).toEqual({ ...first, created: false, committed: false });
    });

    it('merges only with two current approvals from people other than the author, as verify says', async () => {
      const { pullRequest, branch } = await proposeFleetChange(h.host('bot'), { env: 'dev', put: [gateNvr(2)], requestedBy: { name: h.login('outsider'), email: h.email('outsider') } });
      const n = pullRequest.number;
      let sha = pullRequest.head.sha;
      await verifyPass(sha);
      await refused(n, sha);

      expect(await h.review('reviewerA', n, sha, 'approve')).toBe(200);
      await refused(n, sha);
      expect(await h.review('bot', n, sha, 'approve')).toBe(422);
      expect((await twoPersonRule(n)).pullRequest?.approvers).toEqual([h.login('reviewerA')]);

      sha = await h.host('bot').commitFiles({ branch, message: 'A second camera', files: [{ path: 'clusters/dev/schools/school-17/nvrs/gate-2.yaml', content: JSON.stringify(gateNvr(2, 2)) }] });
      await verifyPass(sha);
      await eventually(async () => expect((await h.host('admin').getPullRequest(n)).head.sha).toBe(sha));
      // The approval of the earlier commit is stale or dismissed (Gitea marks it from a background queue).
      await eventually(async () => {
        const reviews = await h.host('admin').listReviews(n);
        // Gitea lists the review requests CODEOWNERS made as reviews too; only approvals matter here.
        const earlier = reviews.filter((r) => r.author === h.login('reviewerA') && (r.state === 'APPROVED' || r.state === 'DISMISSED'));
        expect(earlier.map((r) => r.stale || r.dismissed)).toEqual([true]);
      }, 30_000, 250);
      expect(await h.review('reviewerB', n, sha, 'approve')).toBe(200);
      await refused(n, sha);
      const afterPush = await twoPersonRule(n);
      expect(afterPush.pullRequest?.approvers).toEqual([h.login('reviewerB')]);
      expect(afterPush.ok).toBe(false);

      expect(await h.review('reviewerA', n, sha, 'approve')).toBe(200);
      expect(await twoPersonRule(n)).toMatchObject({ ok: true, pullRequest: { approvers: [h.login('reviewerA'), h.login('reviewerB')].sort() } });
      await eventually(() => h.host('reviewerA').merge(n, sha), 60_000, 250);
      expect((await h.host('admin').getPullRequest(n)).state).toBe('merged');
      expect((await h.host('admin').readTree('main', isFleetFile)).get('clusters/dev/schools/school-17/nvrs/gate-2.yaml')).toBe(JSON.stringify(gateNvr(2, 2)));
    });

    it('a request for changes blocks the merge despite two approvals', async () => {
      const { pullRequest } = await proposeFleetChange(h.host('bot'), { env: 'dev', put: [gateNvr(3)] });
      const sha = pullRequest.head.sha;
      await verifyPass(sha);
      expect(await h.review('reviewerA', pullRequest.number, sha, 'approve')).toBe(200);
      expect(await h.review('reviewerB', pullRequest.number, sha, 'approve')).toBe(200);
      expect(await h.review('outsider', pullRequest.number, sha, 'request-changes')).toBe(200);
      await refused(pullRequest.number, sha);
      expect((await twoPersonRule(pullRequest.number)).violations.map((v) => v.reason)).toContain(`${h.login('outsider')} requested changes`);
    });

    it.each([
      [
        "an NVR using another school's credentials",
        [{ ...gateNvr(7), spec: { ...gateNvr(7).spec, credentialsSecretRef: { name: 'nvr-school-42-yard-0c4d7e99' } } }],
        /^PolicyViolationError: files: nvr-credentials-of-own-school: .* spec\.credentialsSecretRef nvr-school-42-yard-0c4d7e99 is not a credentials Secret of school-17-gate-7 in school school-17/,
      ],
      ['a FaceID terminal with the serial number of another', [faceIdDevice('school-42', 'door', 'ds-k1t341am-20240117')], /^PolicyViolationError: files: unique-faceid-serials: .* is already the serial of FaceIdDevice\/school-17-main-door/],
      [
        "a school taking the names of a school whose id it prefixes",
        [
          { apiVersion: 'posbon.io/v1alpha1', kind: 'School', metadata: { name: 'school-17-annex' }, spec: { displayName: 'School 17 annex', region: 'eu-central', timezone: 'Asia/Tashkent' } },
          { ...gateNvr(8), metadata: { name: 'school-17-annex-gate' }, spec: { ...gateNvr(8).spec, credentialsSecretRef: { name: 'nvr-school-17-annex-gate-0a1b2c3d' } } },
        ],
        /^PolicyViolationError: files: names-within-own-school: .* school-17-annex-gate reads as a name of school school-17-annex; school school-17 cannot use names under school-17-annex-$/,
      ],
    ])('refuses to propose %s, before opening anything', async (_name, put, expected) => {
      const before = (await h.host('admin').listPullRequests('all')).length;
      expect(await proposeFleetChange(h.host('bot'), { env: 'dev', put }).then(() => 'proposed', (e: Error) => `${e.name}: ${e.message}`)).toMatch(expected);
      expect(await h.host('admin').listPullRequests('all')).toHaveLength(before);
    });

    const outcome = (work: Promise<unknown>) => work.then(() => 'done', (e: unknown) => (e instanceof HostError ? 'refused by the host' : String(e)));

    it('lets only the bot create or push proposal branches', async () => {
      const requester = { name: h.login('outsider'), email: h.email('outsider') };
      const { pullRequest, branch } = await proposeFleetChange(h.host('bot'), { env: 'dev', put: [gateNvr(4)], requestedBy: requester });
      const sneaked = { path: 'clusters/dev/schools/school-17/nvrs/gate-4.yaml', content: JSON.stringify(gateNvr(4, 3)) };
      // A reviewer writing under the requester's name would otherwise not count as an author.
      expect(await outcome(h.host('reviewerA').commitFiles({ branch, message: 'One more camera', files: [sneaked], author: requester }))).toBe('refused by the host');
      expect(await outcome(h.host('reviewerA').createBranch('posbon/school-17/nvr-0123456789ab', 'main'))).toBe('refused by the host');
      expect(await h.host('admin').branchHead(branch)).toBe(pullRequest.head.sha);
      expect(await h.host('admin').branchHead('posbon/school-17/nvr-0123456789ab')).toBeNull();
      expect(await outcome(h.host('bot').commitFiles({ branch, message: 'One more camera', files: [sneaked], author: requester }))).toBe('done');
    });

    it('fails verify when the requester maps to no account, and never counts the requester the bot names', async () => {
      const requester = { name: h.login('outsider'), email: `${h.login('outsider')}@elsewhere.test` };
      const { pullRequest } = await proposeFleetChange(h.host('bot'), { env: 'dev', put: [gateNvr(5)], requestedBy: requester });
      const { number, head } = pullRequest;
      for (const role of ['reviewerA', 'outsider'] as const) expect(await h.review(role, number, head.sha, 'approve')).toBe(200);
      expect(await twoPersonRule(number)).toEqual({
        ok: false,
        violations: [
          { policy: 'two-person-rule', reason: `commit ${head.sha.slice(0, 7)} is authored by ${requester.email}, which maps to no account, so its author cannot be kept from approving` },
          {
            policy: 'two-person-rule',
            reason: `2 approvals of head ${head.sha.slice(0, 7)} from people other than the authors (${h.login('outsider')}) and the bot are required; found 1 (${h.login('reviewerA')}); not counted: ${h.login('outsider')} (an author of the change)`,
          },
        ],
        pullRequest: { number, headSha: head.sha, approvers: [h.login('reviewerA')], discounted: [{ reviewer: h.login('outsider'), why: 'an author of the change' }] },
      });
      // Two other approvals satisfy the count, but an unmappable author still fails closed.
      expect(await h.review('reviewerB', number, head.sha, 'approve')).toBe(200);
      expect((await twoPersonRule(number)).violations.map((v) => v.reason)).toEqual([
        `commit ${head.sha.slice(0, 7)} is authored by ${requester.email}, which maps to no account, so its author cannot be kept from approving`,
      ]);
    });

    it('fails verify when a bot pull request holds a commit someone else made under the requester\'s name', async () => {
      const requester = { name: h.login('outsider'), email: h.email('outsider') };
      const branch = 'feature/school-17-gate-6';
      await h.host('bot').createBranch(branch, 'main');
      const sha = await h.host('reviewerA').commitFiles({ branch, message: 'Add gate 6', files: [{ path: 'clusters/dev/schools/school-17/nvrs/gate-6.yaml', content: JSON.stringify(gateNvr(6)) }], author: requester });
      const { pullRequest } = await h.host('bot').openPullRequest({ head: branch, base: 'main', title: 'Add gate 6', body: `Requested by ${requester.name} <${requester.email}>.`, labels: [] });
      for (const role of ['reviewerA', 'reviewerB'] as const) expect(await h.review(role, pullRequest.number, sha, 'approve')).toBe(200);
      const report = await twoPersonRule(pullRequest.number);
      expect(report.violations.map((v) => v.reason)).toEqual([
        `the bot opened it from ${branch}, outside the posbon/ branches only the bot may write`,
        `commit ${sha.slice(0, 7)} was committed by ${h.login('reviewerA')}, not the bot: only the bot writes proposal branches`,
        `2 approvals of head ${sha.slice(0, 7)} from people other than the authors (${h.login('outsider')}, ${h.login('reviewerA')}) and the bot are required; found 1 (${h.login('reviewerB')}); not counted: ${h.login('reviewerA')} (an author of the change)`,
      ]);
    });
  });
}
