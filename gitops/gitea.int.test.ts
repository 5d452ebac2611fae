// The write path against a real Gitea: proposals, branch protection refusing merges, and verify's own two-person rule.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { GROUP, KINDS, VERSION, isKindName } from '../crds/index.js';
import { installCrds } from '../crds/install.js';
import { FleetController, defaultControllerConfig } from '../operator/controller/fleet-controller.js';
import { createOperatorMetrics } from '../operator/controller/metrics.js';
import { openMediaMtxConfig } from '../operator/core/seal.js';
import { configMapName, confKeySecretName } from '../operator/workload.js';
import { testKubeConfig, testNamespace } from '../test/harness/index.js';
import { eventually } from '../test/harness/process.js';
import { startGitea, type Gitea, type GiteaRole } from '../test/harness/gitea.js';
import { proposeFleetChange } from './fleet-change.js';
import { parseFleetTree, readFleetTree } from './fleet-repo/tree.js';
import { MergeRefusedError, type FileChange } from './hosts/git-host.js';
import { GiteaHost } from './hosts/gitea.js';
import { describeHostContract, seedRepository, type HostUnderTest } from '../test/gitops/host-contract.js';
import { protect, VERIFY_CONTEXT } from './protect.js';
import { diffInBody, isFleetFile, propose, type ProposedChange } from './propose.js';
import { applyRenderDiff } from './render/diff.js';
import { PLACEMENTS_FILE, renderFleet, renderedFileOf } from './render/render.js';
import { verify } from './verify/verify.js';
import { quietLogger } from '../lib/log/logger.js';

const run = promisify(execFile);
const EXAMPLE = join(process.cwd(), 'gitops/example');

let gitea: Gitea;
let repo: { owner: string; repo: string };
const host = (role: GiteaRole) => GiteaHost.create({ url: gitea.url, ...repo, token: gitea.users[role].token });

async function giteaApi<T>(role: GiteaRole, method: string, path: string, body?: unknown, target = repo): Promise<{ status: number; body: T }> {
  const response = await fetch(`${gitea.url}/api/v1/repos/${target.owner}/${target.repo}${path}`, {
    method,
    headers: { Authorization: `token ${gitea.users[role].token}`, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

const approve = (role: GiteaRole, pr: number, sha: string, target = repo) =>
  giteaApi<{ message?: string }>(role, 'POST', `/pulls/${pr}/reviews`, { event: 'APPROVED', body: 'looks right', commit_id: sha }, target);

/** Gitea checks mergeability in the background; a refusal means something only after that check. */
const mergeChecked = (pr: number, target = repo) =>
  eventually(async () => {
    const { body } = await giteaApi<{ mergeable: boolean }>('admin', 'GET', `/pulls/${pr}`, undefined, target);
    if (!body.mergeable) throw new Error(`#${pr} not checked mergeable yet`);
  }, 60_000, 250);


const passVerifyStatus = (sha: string) => host('bot').createStatus(sha, { context: VERIFY_CONTEXT, state: 'success', description: 'policies pass' });

/** The host's reason for refusing a merge, once it has finished checking the pull request. */
async function refusal(role: GiteaRole, pr: number, sha: string): Promise<string> {
  return eventually(async () => {
    const error = await host(role).merge(pr, sha).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(MergeRefusedError);
    const message = (error as Error).message;
    if (message.includes('Please try again later')) throw new Error(`#${pr} still being checked`);
    return message;
  }, 60_000, 250);
}

async function exampleFiles(): Promise<FileChange[]> {
  const tree = await readFleetTree(EXAMPLE);
  return [...tree.files].map(([path, content]) => ({ path, content }));
}

const nvrChange = (n: number, requester: GiteaRole): ProposedChange => ({
  title: `Add NVR gate-${n} to school-17`,
  summary: `School 17 connects its gate NVR ${n}.`,
  kind: 'Nvr',
  school: 'school-17',
  files: [
    {
      path: `clusters/dev/schools/school-17/nvrs/gate-${n}.yaml`,
      content: `apiVersion: posbon.io/v1alpha1\nkind: Nvr\nmetadata:\n  name: school-17-gate-${n}\nspec:\n  schoolRef: school-17\n  vendor: hikvision\n  publicHost: gate${n}.schools.example.org\n  credentialsSecretRef:\n    name: nvr-school-17-gate-${n}-0a1b2c3d\n  cameras:\n    - { id: gate, name: Gate, channel: 1 }\n`,
    },
  ],
  requestedBy: { name: gitea.users[requester].login, email: gitea.users[requester].email },
});

beforeAll(async () => {
  gitea = await startGitea(process.env.POSBON_TEST_PG_URL!);
  repo = await gitea.createRepository('fleet');
  await host('admin').commitFiles({ branch: 'main', message: 'Example fleet', files: await exampleFiles() });
  await protect(host('admin'), { fleet: ['alice', 'bob', 'carol'] }, { login: 'posbon-bot' });
}, 300_000);

afterAll(async () => {
  await gitea?.stop();
});

describe('propose on Gitea', () => {
  it('opens one pull request with the files, the diff and labels, and finds it again for the same change', async () => {
    const change = nvrChange(1, 'outsider');
    const first = await propose(host('bot'), change);
    expect(first).toMatchObject({ created: true, committed: true, branch: expect.stringMatching(/^posbon\/school-17\/nvr-[0-9a-f]{12}$/) });
    expect(first.pullRequest).toMatchObject({ author: 'posbon-bot', state: 'open', base: { ref: 'main' }, title: change.title });
    expect(first.pullRequest.labels.sort()).toEqual(['kind/Nvr', 'school/school-17']);
    expect(first.diff).toContain(`+  school-17/school-17-gate-1/gate:\n+    source: rtsp://REDACTED:REDACTED@gate1.schools.example.org:554/Streaming/Channels/101\n`);
    expect(diffInBody(first.pullRequest.body)).toBe(first.diff);
    expect(first.pullRequest.body).toContain('Requested by carol <carol@posbon.test>.');

    const files = await giteaApi<{ filename: string; status: string }[]>('admin', 'GET', `/pulls/${first.pullRequest.number}/files`);
    expect(files.body.map((f) => [f.filename, f.status])).toEqual([['clusters/dev/schools/school-17/nvrs/gate-1.yaml', 'added']]);
    expect(await host('admin').readFile(first.branch, change.files[0]!.path)).toBe(change.files[0]!.content);
    const commits = await host('admin').listPullRequestCommits(first.pullRequest.number);
    expect(commits.map((c) => c.authorLogin)).toEqual(['carol']);

    const again = await propose(host('bot'), change);
    expect(again).toEqual({ ...first, created: false, committed: false });
  });

  it('refuses a change holding a plaintext credential before touching the host', async () => {
    const change = nvrChange(2, 'outsider');
    change.files[0]!.content += '  password: hunter2\n';
    await expect(propose(host('bot'), change)).rejects.toThrow('files: no-credential-in-git: clusters/dev/schools/school-17/nvrs/gate-2.yaml Nvr/school-17-gate-2: spec.password holds a credential in plaintext');
    expect(await host('admin').listPullRequests('all')).not.toContainEqual(expect.objectContaining({ title: change.title }));
  });
});

describe('two approvals from two other people', () => {
  it('merges only then, and verify agrees at every step', async () => {
    const { pullRequest } = await propose(host('bot'), nvrChange(3, 'outsider'));
    const n = pullRequest.number;
    let sha = pullRequest.head.sha;
    const verdict = async () => (await verify({ head: await readFleetTree(EXAMPLE), pullRequest: { host: host('bot'), number: n, bot: 'posbon-bot' } }));
    await passVerifyStatus(sha);
    await mergeChecked(n);

    expect(await refusal('reviewerA', n, sha)).toMatch(/Does not have enough approvals/);
    expect((await verdict()).ok).toBe(false);

    expect((await approve('reviewerA', n, sha)).status).toBe(200);
    expect(await refusal('reviewerA', n, sha)).toMatch(/Does not have enough approvals/);
    expect((await verdict()).pullRequest?.approvers).toEqual(['alice']);

    // The bot opened it, so Gitea refuses the author's own approval.
    expect(await approve('bot', n, sha)).toEqual({ status: 422, body: expect.objectContaining({ message: 'approve your own pull is not allowed' }) });

    // The requester (carol) is no poster in Gitea's eyes, so Gitea takes her approval; verify does not.
    expect((await approve('outsider', n, sha)).status).toBe(200);
    expect((await verdict()).pullRequest?.discounted).toEqual([{ reviewer: 'carol', why: 'an author of the change' }]);

    // A new push makes both earlier approvals stale and Gitea dismisses them.
    sha = await host('bot').commitFiles({
      branch: pullRequest.head.ref,
      message: 'Use channel 2 as well',
      files: [{ path: 'clusters/dev/schools/school-17/nvrs/gate-3.yaml', content: `${nvrChange(3, 'outsider').files[0]!.content!}    - { id: lane, name: Lane, channel: 2 }\n` }],
    });
    await passVerifyStatus(sha);
    await eventually(async () => expect((await host('admin').getPullRequest(n)).head.sha).toBe(sha));
    // verify discounts the old approvals at once, by commit id, while Gitea dismisses them from a background queue.
    expect((await verdict()).pullRequest?.approvers).toEqual([]);
    await eventually(async () => {
      const reviews = await host('admin').listReviews(n);
      expect(reviews.filter((r) => r.state === 'APPROVED').map((r) => [r.author, r.dismissed])).toEqual([['alice', true], ['carol', true]]);
    }, 30_000, 250);
    await mergeChecked(n);
    expect((await approve('reviewerB', n, sha)).status).toBe(200);
    expect(await refusal('reviewerA', n, sha)).toMatch(/Does not have enough approvals/);
    const afterPush = await verdict();
    expect(afterPush.ok).toBe(false);
    expect(afterPush.pullRequest?.approvers).toEqual(['bob']);
    expect(afterPush.pullRequest?.discounted.map((d) => d.reviewer).sort()).toEqual(['alice', 'carol']);

    expect((await approve('reviewerA', n, sha)).status).toBe(200);
    const passing = await verdict();
    expect(passing).toEqual({ ok: true, violations: [], pullRequest: { number: n, headSha: sha, approvers: ['alice', 'bob'], discounted: [{ reviewer: 'carol', why: 'dismissed' }] } });
    await eventually(async () => host('reviewerA').merge(n, sha), 30_000, 250);
    expect((await host('admin').getPullRequest(n)).state).toBe('merged');
  });

  it("fails verify when the only approvals are a repository admin's own, though Gitea would merge", async () => {
    const { pullRequest } = await propose(host('bot'), nvrChange(4, 'admin'));
    const n = pullRequest.number;
    expect((await approve('admin', n, pullRequest.head.sha)).status).toBe(200);
    expect((await approve('reviewerA', n, pullRequest.head.sha)).status).toBe(200);

    const fleetDir = await mkdtemp(join(tmpdir(), 'posbon-fleet-'));
    await cp(EXAMPLE, fleetDir, { recursive: true });
    const cli = (args: string[]) =>
      run(join(process.cwd(), 'node_modules/.bin/tsx'), ['gitops/cli/main.ts', 'verify', fleetDir, '--pr', String(n), '--status', ...args], {
        env: { ...process.env, POSBON_GIT_HOST: 'gitea', POSBON_GIT_URL: gitea.url, POSBON_GIT_REPO: `${repo.owner}/${repo.repo}`, POSBON_GIT_TOKEN: gitea.users.bot.token, POSBON_GIT_BOT: 'posbon-bot' },
      }).then(
        (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
      );
    const failing = await cli([]);
    expect(failing.code).toBe(1);
    expect(failing.stdout.trim()).toBe(
      `two-person-rule: 2 approvals of head ${pullRequest.head.sha.slice(0, 7)} from people other than the authors (root-admin) and the bot are required; found 1 (alice); not counted: root-admin (an author of the change)`,
    );
    const statuses = await giteaApi<{ context: string; status: string }[]>('admin', 'GET', `/commits/${pullRequest.head.sha}/statuses`);
    expect(statuses.body.map((s) => [s.context, s.status])).toEqual([[VERIFY_CONTEXT, 'failure']]);
    await mergeChecked(n);
    expect(await refusal('reviewerA', n, pullRequest.head.sha)).toMatch(/Not all required status checks successful/);

    expect((await approve('reviewerB', n, pullRequest.head.sha)).status).toBe(200);
    const passing = await cli(['--json']);
    expect(passing.code).toBe(0);
    expect(JSON.parse(passing.stdout)).toMatchObject({ ok: true, pullRequest: { approvers: ['alice', 'bob'] } });
    await eventually(async () => host('reviewerA').merge(n, pullRequest.head.sha), 30_000, 500);
  });
});

describe('the rules protect sets on Gitea', () => {
  const approvedAndPassing = async (pr: number, sha: string, approvers: GiteaRole[]) => {
    for (const role of approvers) expect((await approve(role, pr, sha)).status).toBe(200);
    await passVerifyStatus(sha);
    await mergeChecked(pr);
  };

  it('stores the default branch rule and the bot-only rule for proposal branches', async () => {
    const { body } = await giteaApi<Record<string, unknown>[]>('admin', 'GET', '/branch_protections');
    const rule = (name: string) => body.find((r) => r.rule_name === name);
    expect(rule('main')).toMatchObject({
      required_approvals: 2,
      dismiss_stale_approvals: true,
      block_on_rejected_reviews: true,
      enable_status_check: true,
      status_check_contexts: [VERIFY_CONTEXT],
      enable_push: false,
      block_admin_merge_override: true,
      enable_approvals_whitelist: true,
      approvals_whitelist_username: ['alice', 'bob', 'carol'],
      protected_file_patterns: '.gitea/workflows/**;.github/workflows/**;.gitea/CODEOWNERS;.github/CODEOWNERS;CODEOWNERS;docs/CODEOWNERS;.posbon/**',
    });
    expect(rule('posbon/**')).toMatchObject({ enable_push: true, enable_push_whitelist: true, push_whitelist_usernames: ['posbon-bot'], enable_force_push: false });
    // Run again, it updates the same two rules.
    await protect(host('admin'), { fleet: ['alice', 'bob', 'carol'] }, { login: 'posbon-bot' });
    expect((await giteaApi<{ rule_name: string }[]>('admin', 'GET', '/branch_protections')).body.map((r) => r.rule_name).sort()).toEqual(['main', 'posbon/**']);
  });

  it("refuses a repository admin's forced merge of an unapproved change", async () => {
    const { pullRequest } = await propose(host('bot'), nvrChange(11, 'outsider'));
    await passVerifyStatus(pullRequest.head.sha);
    await mergeChecked(pullRequest.number);
    const forced = await giteaApi<{ message?: string }>('admin', 'POST', `/pulls/${pullRequest.number}/merge`, { Do: 'merge', force_merge: true, head_commit_id: pullRequest.head.sha });
    expect(forced.status).toBe(405);
    expect((await host('admin').getPullRequest(pullRequest.number)).state).toBe('open');
  });

  it('counts only the owners\' approvals', async () => {
    const { pullRequest } = await propose(host('bot'), nvrChange(12, 'outsider'));
    await approvedAndPassing(pullRequest.number, pullRequest.head.sha, ['admin', 'reviewerA']);
    expect(await refusal('reviewerA', pullRequest.number, pullRequest.head.sha)).toMatch(/Does not have enough approvals/);
  });

  it('refuses a change to the CI workflows or CODEOWNERS, however approved', async () => {
    const branch = 'posbon/fleet/ci-0123456789ab';
    await host('bot').createBranch(branch, 'main');
    await host('bot').commitFiles({ branch, message: 'Skip verify', files: [{ path: '.gitea/workflows/verify.yaml', content: 'on: [pull_request]\njobs: {}\n' }] });
    const { pullRequest } = await host('bot').openPullRequest({ head: branch, base: 'main', title: 'Skip verify', body: 'CI', labels: [] });
    await approvedAndPassing(pullRequest.number, pullRequest.head.sha, ['reviewerA', 'reviewerB']);
    expect(await refusal('reviewerA', pullRequest.number, pullRequest.head.sha)).toMatch(/protected/i);
  });
});

describe('a merged change on the cluster', () => {
  const id = randomBytes(3).toString('hex');
  // MediaNodes are cluster-wide: this fleet's nodes and region are its own, so other tests' nodes never take its schools.
  const own = (text: string) => text.replaceAll('fsn1-', `n${id}-`).replaceAll('eu-central', `region-${id}`);
  let controller: FleetController | undefined;
  const nodes: string[] = [];

  afterAll(async () => {
    await controller?.stop();
    const objects = testKubeConfig().makeApiClient(CustomObjectsApi);
    for (const name of nodes) await objects.deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: 'medianodes', name }).catch(() => undefined);
  });

  it('gives each media node the config the pull request rendered, credentials aside', async () => {
    const fleetRepo = await gitea.createRepository(`fleet-${id}`);
    const at = (role: GiteaRole) => GiteaHost.create({ url: gitea.url, ...fleetRepo, token: gitea.users[role].token });
    const example = await readFleetTree(EXAMPLE);
    await at('admin').commitFiles({ branch: 'main', message: 'Example fleet', files: [...example.files].map(([path, content]) => ({ path: own(path), content: own(content) })) });
    await protect(at('admin'), { fleet: ['alice', 'bob'] }, { login: 'posbon-bot' });
    const baseFiles = await at('admin').readTree('main', isFleetFile);

    // GIVEN a proposal from the API's library function: a new NVR, and school-42 moved to the other node
    const school42 = parse(baseFiles.get('clusters/dev/schools/school-42/school.yaml')!);
    school42.spec.mediaNodeRef = `n${id}-a`;
    const gate = {
      apiVersion: 'posbon.io/v1alpha1',
      kind: 'Nvr',
      metadata: { name: 'school-42-gate' },
      spec: {
        schoolRef: 'school-42',
        vendor: 'hikvision',
        publicHost: 'gate.nvr42.schools.example.org',
        credentialsSecretRef: { name: 'nvr-school-42-gate-3e1f0a77' },
        cameras: [
          { id: 'gate', name: 'Gate', channel: 1 },
          { id: 'lane', name: 'Lane', channel: 2, stream: 'sub' },
          { id: 'dock', name: 'Dock', rtspPath: '/Streaming/Channels/901?transportmode=unicast' },
        ],
      },
    };
    const proposal = await proposeFleetChange(at('bot'), { env: 'dev', put: [gate, school42], requestedBy: { name: 'carol', email: gitea.users.outsider.email } });
    expect(proposal.pullRequest.title).toBe('Change 2 fleet objects of school-42');
    expect(proposal.pullRequest.labels.sort()).toEqual(['kind/Mixed', 'school/school-42']);
    const files = await giteaApi<{ filename: string; status: string }[]>('admin', 'GET', `/pulls/${proposal.pullRequest.number}/files`, undefined, fleetRepo);
    expect(files.body.map((f) => [f.filename, f.status])).toEqual([
      ['clusters/dev/schools/school-42/nvrs/gate.yaml', 'added'],
      ['clusters/dev/schools/school-42/school.yaml', 'changed'],
    ]);

    // WHEN verify passes, two other people approve and it merges
    const { number } = proposal.pullRequest;
    const sha = proposal.pullRequest.head.sha;
    for (const role of ['reviewerA', 'reviewerB'] as const) expect((await approve(role, number, sha, fleetRepo)).status).toBe(200);
    const report = await verify({ base: parseFleetTree(baseFiles), head: parseFleetTree(await at('bot').readTree(proposal.branch, isFleetFile)), pullRequest: { host: at('bot'), number, bot: 'posbon-bot' } });
    expect(report).toMatchObject({ ok: true, violations: [] });
    await at('bot').createStatus(sha, { context: VERIFY_CONTEXT, state: 'success', description: 'policies and two-person rule pass' });
    await mergeChecked(number, fleetRepo);
    await eventually(async () => at('reviewerA').merge(number, sha), 30_000, 250);

    // What the reviewers were shown: the base render with the pull request's diff applied.
    const shown = applyRenderDiff(renderFleet(parseFleetTree(baseFiles)).files, diffInBody((await at('admin').getPullRequest(number)).body)!);
    const merged = parseFleetTree(await at('admin').readTree('main', isFleetFile));
    expect(shown).toEqual(renderFleet(merged).files);

    // THEN the merged tree applied to the API server, with the NVR Secrets the API would have written, runs the operator
    const kc = testKubeConfig();
    await installCrds(kc);
    const core = kc.makeApiClient(CoreV1Api);
    const objects = kc.makeApiClient(CustomObjectsApi);
    const fleetNs = await testNamespace(kc, 'fleet');
    const mediaNs = await testNamespace(kc, 'media');
    const credentials = new Map<string, string>();
    for (const r of merged.resources) {
      if (!isKindName(r.kind)) continue;
      const plural = KINDS[r.kind].plural;
      if (KINDS[r.kind].scope === 'Cluster') {
        nodes.push(r.name);
        await objects.createClusterCustomObject({ group: GROUP, version: VERSION, plural, body: r.object });
        continue;
      }
      await objects.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: fleetNs, plural, body: r.object });
      if (r.kind === 'Nvr') {
        const name = (r.object.spec as { credentialsSecretRef: { name: string } }).credentialsSecretRef.name;
        const username = `viewer-${randomBytes(3).toString('hex')}`;
        const password = randomBytes(12).toString('hex');
        credentials.set(`${username}:${password}`, r.name);
        await core.createNamespacedSecret({ namespace: fleetNs, body: { metadata: { name }, immutable: true, stringData: { username, password } } });
      }
    }
    controller = FleetController.create({
      kc,
      config: defaultControllerConfig({ fleetNamespace: fleetNs, mediaNamespace: mediaNs, applyWorkloads: false }),
      log: quietLogger(),
      metrics: createOperatorMetrics(),
    });
    await controller.start();
    controller.lead();

    const opened = async (node: string) => {
      const cm = await core.readNamespacedConfigMap({ name: configMapName(node), namespace: mediaNs });
      const key = await core.readNamespacedSecret({ name: confKeySecretName(node), namespace: mediaNs });
      return openMediaMtxConfig(cm.data!['mediamtx.yml']!, Buffer.from(key.data!.key!, 'base64').toString('utf8'));
    };
    const used = new Set<string>();
    const redacted = (config: string) =>
      config.replace(/(rtsp:\/\/)([^@/\s]+)@/g, (_m, scheme: string, userinfo: string) => {
        used.add(userinfo);
        return `${scheme}REDACTED:REDACTED@`;
      });
    await eventually(async () => {
      for (const node of nodes) expect(redacted(await opened(node))).toBe(shown.get(renderedFileOf(node)));
    }, 60_000, 250);
    // Every NVR's own credentials were in the real configs, and nothing else was.
    expect([...used].sort()).toEqual([...credentials.keys()].sort());

    const placements = parse(shown.get(PLACEMENTS_FILE)!) as { school: string; mediaNode: string; allowlistIPs: string[] }[];
    await eventually(async () => {
      for (const p of placements) {
        const school = (await objects.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: fleetNs, plural: 'schools', name: p.school })) as { status?: Record<string, unknown> };
        expect(school.status).toMatchObject({ mediaNode: p.mediaNode, allowlistIPs: p.allowlistIPs });
      }
    }, 60_000, 250);
  });
});

describeHostContract('Gitea', async () => {
  const contractRepo = await gitea.createRepository('contract');
  const underTest: HostUnderTest = {
    host: (role) => GiteaHost.create({ url: gitea.url, ...contractRepo, token: gitea.users[role].token }),
    login: (role) => gitea.users[role].login,
    email: (role) => gitea.users[role].email,
    bot: { login: gitea.users.bot.login },
    review: async (role, pr, sha, verdict) =>
      (await giteaApi(role, 'POST', `/pulls/${pr}/reviews`, { event: verdict === 'approve' ? 'APPROVED' : 'REQUEST_CHANGES', body: 'reviewed', commit_id: sha }, contractRepo)).status,
  };
  await seedRepository(underTest);
  return underTest;
});
