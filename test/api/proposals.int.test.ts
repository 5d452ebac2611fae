// The API's write endpoints against a real Gitea, PostgreSQL and API server: every change a pull request the bot opens
// for the requesting user, NVR credentials only in an immutable Secret, approvals counted by the two-person rule.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { credentialsNameKey, credentialsSecretName } from '../../api/admin/proposals/credentials-store.js';
import { credentialsStoreRbac, KubernetesCredentialsStore } from '../../api/admin/proposals/kubernetes-credentials-store.js';
import { readFleetTree } from '../../gitops/fleet-repo/tree.js';
import { GiteaHost } from '../../gitops/hosts/gitea.js';
import { diffInBody } from '../../gitops/propose.js';
import { startGitea, type Gitea, type GiteaRole } from '../harness/gitea.js';
import { testKubeConfig, testKubeconfigFor, testNamespace } from '../harness/index.js';
import { call, createAccount, login, startTestApi, type TestApi } from './fixture.js';

let gitea: Gitea;
let repo: { owner: string; repo: string };
let api: TestApi;
let namespace: string;
const nameKey = credentialsNameKey(randomBytes(32));
const core = testKubeConfig().makeApiClient(CoreV1Api);
const tokens: Record<'carol' | 'dave' | 'streams' | 'root' | 'guard', string> = { carol: '', dave: '', streams: '', root: '', guard: '' };
const host = (role: GiteaRole) => GiteaHost.create({ url: gitea.url, ...repo, token: gitea.users[role].token });

async function giteaApi<T>(role: GiteaRole, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${gitea.url}/api/v1/repos/${repo.owner}/${repo.repo}${path}`, {
    method,
    headers: { Authorization: `token ${gitea.users[role].token}`, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

const approve = async (role: GiteaRole, pr: number, sha: string) =>
  expect((await giteaApi(role, 'POST', `/pulls/${pr}/reviews`, { event: 'APPROVED', body: 'looks right', commit_id: sha })).status).toBe(200);

const changedFiles = async (pr: number) =>
  (await giteaApi<{ filename: string; status: string }[]>('admin', 'GET', `/pulls/${pr}/files`)).body.map((f) => [f.filename, f.status]);

const as = (who: keyof typeof tokens, method: string, path: string, body?: unknown) => call(api, method, path, { token: tokens[who], ...(body === undefined ? {} : { body }) });

const proposalOf = async (who: keyof typeof tokens, number: number) =>
  ((await as(who, 'GET', '/proposals')).body.items as { number: number }[]).find((p) => p.number === number) as
    | { number: number; approvals: { approvers: string[]; discounted: { reviewer: string; why: string }[]; satisfied: boolean; blocking: string[] } }
    | undefined;

// The credentials of the NVR school-17's admin adds; nothing in Git, the log, the audit or an answer may hold them.
const nvrLogin = { username: `viewer${randomBytes(3).toString('hex')}`, password: `pw-${randomBytes(9).toString('hex')}` };
const gate = {
  name: 'school-17-gate',
  vendor: 'hikvision',
  publicHost: 'gate.nvr17.schools.example.org',
  cameras: [{ id: 'gate', name: 'Gate', channel: 1 }],
  credentials: nvrLogin,
};
let gatePr: { number: number; branch: string; sha: string };

beforeAll(async () => {
  gitea = await startGitea(process.env.POSBON_TEST_PG_URL!);
  repo = await gitea.createRepository('fleet');
  const example = await readFleetTree(join(process.cwd(), 'gitops/example'));
  await host('admin').commitFiles({ branch: 'main', message: 'Example fleet', files: [...example.files].map(([path, content]) => ({ path, content })) });

  // The store writes with a kubeconfig whose only permission is creating Secrets in this namespace.
  const admin = testKubeConfig();
  namespace = await testNamespace(admin, 'fleet');
  const user = `posbon-api-${randomBytes(3).toString('hex')}`;
  const generic = KubernetesObjectApi.makeApiClient(admin);
  for (const manifest of credentialsStoreRbac({ namespace, subject: { kind: 'User', name: user } })) await generic.create(manifest as KubernetesObject);
  const narrow = new KubeConfig();
  narrow.loadFromFile(await testKubeconfigFor(user));

  api = await startTestApi({
    proposals: {
      host: host('bot'),
      credentials: KubernetesCredentialsStore.create({ kc: narrow, namespace, nameKey }),
      env: 'dev',
      bot: gitea.users.bot.login,
      authorDomain: 'posbon.test',
    },
  });
  // API user carol is Gitea's carol (carol@posbon.test): the host knows her as the author of what she proposes.
  const accounts = {
    carol: await createAccount(api, 'carol', 'SCHOOL_ADMIN', ['school-17']),
    dave: await createAccount(api, 'dave', 'SCHOOL_ADMIN', ['school-42']),
    streams: await createAccount(api, 'streams', 'STREAM_ADMIN'),
    root: await createAccount(api, 'root', 'SUPER_ADMIN'),
    guard: await createAccount(api, 'guard', 'VIEWER', ['school-17']),
  };
  for (const [who, account] of Object.entries(accounts)) tokens[who as keyof typeof tokens] = (await login(api, account)).accessToken;
}, 300_000);

afterAll(async () => {
  await api?.close();
  await gitea?.stop();
});

describe('a school admin proposes an NVR', () => {
  it('becomes one pull request by the bot, authored by the admin, with the NVR file and a hashed Secret reference', async () => {
    const res = await as('carol', 'POST', '/schools/school-17/nvrs', gate);
    expect(res.status).toBe(202);
    const secretName = credentialsSecretName(nameKey, { schoolId: 'school-17', nvr: 'school-17-gate' }, nvrLogin);
    expect(secretName).toMatch(/^nvr-school-17-gate-[0-9a-f]{16}$/);
    const object = {
      apiVersion: 'posbon.io/v1alpha1',
      kind: 'Nvr',
      metadata: { name: 'school-17-gate' },
      spec: {
        schoolRef: 'school-17',
        vendor: 'hikvision',
        connectivity: 'public',
        publicHost: 'gate.nvr17.schools.example.org',
        publicRtspPort: 554,
        credentialsSecretRef: { name: secretName },
        onvifSync: false,
        cameras: [{ id: 'gate', name: 'Gate', channel: 1, enabled: true, stream: 'main' }],
      },
    };
    expect(res.body).toEqual({
      proposal: {
        number: expect.any(Number),
        url: expect.stringMatching(new RegExp(`^${gitea.url}/root-admin/fleet/pulls/\\d+$`)),
        title: 'Add Nvr school-17-gate',
        branch: expect.stringMatching(/^posbon\/school-17\/nvr-[0-9a-f]{12}$/),
        created: true,
        labels: ['kind/Nvr', 'school/school-17'],
        diffStat: [
          { file: 'mediamtx-fsn1-a.yml', added: 3, removed: 0 },
          { file: 'placements.yaml', added: 1, removed: 1 },
        ],
        diff: null,
      },
      change: { action: 'create', kind: 'Nvr', name: 'school-17-gate', object },
    });
    const { number, branch } = res.body.proposal as { number: number; branch: string };

    const pr = await host('admin').getPullRequest(number);
    expect({ author: pr.author, state: pr.state, base: pr.base.ref }).toEqual({ author: 'posbon-bot', state: 'open', base: 'main' });
    expect(pr.body).toContain('Requested by carol <carol@posbon.test>.');
    expect(diffInBody(pr.body)).toContain('+  school-17/school-17-gate/gate:\n+    source: rtsp://REDACTED:REDACTED@gate.nvr17.schools.example.org:554/Streaming/Channels/101\n');
    expect(await changedFiles(number)).toEqual([['clusters/dev/schools/school-17/nvrs/gate.yaml', 'added']]);
    expect(parse((await host('admin').readFile(branch, 'clusters/dev/schools/school-17/nvrs/gate.yaml'))!)).toEqual(object);
    expect((await host('admin').listPullRequestCommits(number)).map((c) => [c.authorLogin, c.author.name])).toEqual([['carol', 'carol']]);
    gatePr = { number, branch, sha: pr.head.sha };

    // Nowhere in the repository, on either branch, in the pull request or its commits.
    const everything = [
      ...(await host('admin').readTree(branch, () => true)).values(),
      ...(await host('admin').readTree('main', () => true)).values(),
      pr.title,
      pr.body,
      JSON.stringify(await giteaApi('admin', 'GET', `/pulls/${number}/commits`)),
      res.text,
    ].join('\n');
    expect(everything).toContain(secretName);
    expect(everything).not.toContain(nvrLogin.password);
    expect(everything).not.toContain(nvrLogin.username);
  });

  it('stores the credentials as the immutable Secret the NVR references, and nothing else', async () => {
    const name = credentialsSecretName(nameKey, { schoolId: 'school-17', nvr: 'school-17-gate' }, nvrLogin);
    const secret = await core.readNamespacedSecret({ name, namespace });
    expect(secret.immutable).toBe(true);
    expect(Object.fromEntries(Object.entries(secret.data!).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]))).toEqual(nvrLogin);
    expect((await core.listNamespacedSecret({ namespace })).items.map((s) => s.metadata!.name)).toEqual([name]);
  });

  it('returns the same proposal when asked again for the same change', async () => {
    const again = await as('carol', 'POST', '/schools/school-17/nvrs', gate);
    // The NVR is not on the default branch yet, so the same request is the same change, not a conflict.
    expect(again.status).toBe(202);
    expect(again.body.proposal).toMatchObject({ number: gatePr.number, branch: gatePr.branch, created: false });
  });
});

describe('who may propose what', () => {
  it("refuses another school's admin, a viewer and SUPER_ADMIN on a school, and opens nothing", async () => {
    const before = (await host('admin').listPullRequests('all')).length;
    const statuses = [
      (await as('dave', 'POST', '/schools/school-17/nvrs', { ...gate, name: 'school-17-other' })).status,
      (await as('dave', 'PUT', '/schools/school-17/nvrs/school-17-entrance', { vendor: 'dahua', publicHost: 'evil.example.org' })).status,
      (await as('dave', 'DELETE', '/schools/school-17/nvrs/school-17-entrance')).status,
      (await as('dave', 'PATCH', '/schools/school-17', { displayName: 'Mine now' })).status,
      (await as('dave', 'POST', '/schools/school-17/faceid-devices', { name: 'school-17-x', vendor: 'zkteco', direction: 'in', serialNumber: 'X1', lan: { localIp: '192.168.17.9' } })).status,
      (await as('guard', 'POST', '/schools/school-17/nvrs', { ...gate, name: 'school-17-other' })).status,
      (await as('root', 'POST', '/schools/school-17/nvrs', { ...gate, name: 'school-17-other' })).status,
      (await as('root', 'PATCH', '/schools/school-17', { displayName: 'Renamed by root' })).status,
    ];
    expect(statuses).toEqual([403, 403, 403, 403, 403, 403, 403, 403]);
    expect((await host('admin').listPullRequests('all')).length).toBe(before);
  });

  it("answers 404 when an admin reaches for another school's NVR through their own school", async () => {
    const res = await as('dave', 'PUT', '/schools/school-42/nvrs/school-17-entrance', { vendor: 'dahua', publicHost: 'evil.example.org', credentials: { username: 'x', password: 'y' } });
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('name: no Nvr school-17-entrance in school school-42');
    expect((await as('dave', 'DELETE', '/schools/school-42/nvrs/school-17-entrance')).status).toBe(404);
  });

  it('lets STREAM_ADMIN propose a media node, with the full rendered diff, and no one else', async () => {
    const node = { name: 'hel1-a', region: 'eu-north', egressIPs: ['198.51.100.30'], webrtcBaseUrl: 'https://hel1-a.media.posbon.example.org', hlsBaseUrl: 'https://hel1-a.media.posbon.example.org' };
    expect((await as('carol', 'POST', '/media-nodes', node)).status).toBe(403);
    expect((await as('root', 'POST', '/media-nodes', node)).status).toBe(403);
    const res = await as('streams', 'POST', '/media-nodes', node);
    expect(res.status).toBe(202);
    expect(res.body.proposal).toMatchObject({ title: 'Add MediaNode hel1-a', labels: ['kind/MediaNode'], created: true, diff: expect.any(String) });
    expect(await changedFiles(res.body.proposal.number)).toEqual([['clusters/dev/media-nodes/hel1-a.yaml', 'added']]);
    const commits = await host('admin').listPullRequestCommits(res.body.proposal.number);
    expect(commits.map((c) => c.author)).toEqual([{ name: 'streams', email: 'streams@posbon.test' }]);
  });

  it('refuses to remove a media node that was not drained first, naming the policy', async () => {
    const res = await as('streams', 'DELETE', '/media-nodes/fsn1-a');
    expect(res.status).toBe(409);
    expect(res.body.error).toMatch(/^fleet: media-node-removed-only-when-drained: clusters\/dev\/media-nodes\/fsn1-a\.yaml MediaNode\/fsn1-a: MediaNode fsn1-a is removed without being drained first/);
  });
});

describe('bad input', () => {
  const post = (body: Record<string, unknown>) => as('carol', 'POST', '/schools/school-17/nvrs', body);
  it.each([
    ['a private publicHost', { ...gate, name: 'school-17-a', publicHost: '10.1.2.3' }, 400, /^publicHost: /],
    ['no credentials', { ...gate, name: 'school-17-b', credentials: undefined }, 400, /^credentials: /],
    ['a Secret reference of its own choosing', { ...gate, name: 'school-17-c', credentialsSecretRef: { name: 'nvr-school-42-yard-1' } }, 400, /credentialsSecretRef/],
    ['a name without the school prefix', { ...gate, name: 'gate-2' }, 400, /^name: must start with school-17- /],
    ['an ONVIF port equal to the RTSP port', { ...gate, name: 'school-17-d', publicOnvifPort: 554 }, 400, /^publicOnvifPort: must differ from publicRtspPort$/],
    ['a camera id that is no DNS label', { ...gate, name: 'school-17-e', cameras: [{ id: 'Gate 1', name: 'Gate', channel: 1 }] }, 400, /^cameras\.0\.id: /],
    ['a name already taken', { ...gate, name: 'school-17-entrance' }, 409, /^name: an NVR named school-17-entrance already exists$/],
  ])('%s is refused, naming the field', async (_what, body, status, message) => {
    const res = await post(body);
    expect({ status: res.status, error: res.body.error }).toEqual({ status, error: expect.stringMatching(message) });
    expect(res.text).not.toContain(nvrLogin.password);
  });

  it('answers 404 for an NVR or a school that does not exist', async () => {
    expect((await as('carol', 'PUT', '/schools/school-17/nvrs/school-17-nothing', { vendor: 'dahua', publicHost: 'x.example.org' })).status).toBe(404);
    expect((await as('carol', 'DELETE', '/schools/school-17/faceid-devices/school-17-nothing')).status).toBe(404);
  });

  it('wrote no Secret for any refused request', async () => {
    expect((await core.listNamespacedSecret({ namespace })).items).toHaveLength(1);
  });
});

describe('updates, removals, FaceID devices and school settings', () => {
  it('updates an NVR in its own file and keeps its Secret when no credentials come', async () => {
    const res = await as('carol', 'PUT', '/schools/school-17/nvrs/school-17-entrance', {
      vendor: 'hikvision',
      publicHost: 'nvr17.schools.example.org',
      cameras: [{ id: 'gate', name: 'Main gate', channel: 1 }],
    });
    expect(res.status).toBe(202);
    expect(res.body.change.object.spec.credentialsSecretRef).toEqual({ name: 'nvr-school-17-entrance-5f2c9a1b' });
    expect(res.body.proposal).toMatchObject({ title: 'Update Nvr school-17-entrance', diffStat: [
        // One camera fewer moves the school to the other node: the bounded-load assignment, shown to reviewers.
        { file: 'mediamtx-fsn1-a.yml', added: 1, removed: 7 },
        { file: 'mediamtx-fsn1-b.yml', added: 3, removed: 0 },
        { file: 'placements.yaml', added: 3, removed: 3 },
      ] });
    expect(await changedFiles(res.body.proposal.number)).toEqual([['clusters/dev/schools/school-17/nvrs/entrance.yaml', 'changed']]);
  });

  it('removes an NVR of the caller\'s school', async () => {
    const res = await as('dave', 'DELETE', '/schools/school-42/nvrs/school-42-yard');
    expect(res.status).toBe(202);
    expect(res.body.change).toEqual({ action: 'delete', kind: 'Nvr', name: 'school-42-yard', object: null });
    expect(await changedFiles(res.body.proposal.number)).toEqual([['clusters/dev/schools/school-42/nvrs/yard.yaml', 'deleted']]);
  });

  it('adds, replaces and removes FaceID devices', async () => {
    const added = await as('carol', 'POST', '/schools/school-17/faceid-devices', { name: 'school-17-side-door', vendor: 'zkteco', direction: 'in', serialNumber: 'ZK-001', lan: { localIp: '192.168.17.41' } });
    expect(added.status).toBe(202);
    expect(await changedFiles(added.body.proposal.number)).toEqual([['clusters/dev/schools/school-17/faceid/side-door.yaml', 'added']]);
    const replaced = await as('carol', 'PUT', '/schools/school-17/faceid-devices/school-17-main-door', { vendor: 'hikvision', direction: 'in', serialNumber: 'DS-K1T341AM-20240117', lan: { localIp: '192.168.17.40' } });
    expect(replaced.status).toBe(202);
    expect(await changedFiles(replaced.body.proposal.number)).toEqual([['clusters/dev/schools/school-17/faceid/main-door.yaml', 'changed']]);
    const removed = await as('carol', 'DELETE', '/schools/school-17/faceid-devices/school-17-main-door');
    expect(removed.status).toBe(202);
    expect(await changedFiles(removed.body.proposal.number)).toEqual([['clusters/dev/schools/school-17/faceid/main-door.yaml', 'deleted']]);
  });

  it('changes school settings, and refuses placement fields that are not the school admin\'s to set', async () => {
    const res = await as('carol', 'PATCH', '/schools/school-17', { displayName: 'School No. 17 (north)' });
    expect(res.status).toBe(202);
    expect(res.body.change.object).toEqual({
      apiVersion: 'posbon.io/v1alpha1',
      kind: 'School',
      metadata: { name: 'school-17' },
      spec: { displayName: 'School No. 17 (north)', region: 'eu-central', timezone: 'Asia/Tashkent', networkMode: 'public' },
    });
    expect(await changedFiles(res.body.proposal.number)).toEqual([['clusters/dev/schools/school-17/school.yaml', 'changed']]);
    const pinned = await as('carol', 'PATCH', '/schools/school-17', { mediaNodeRef: 'fsn1-b' });
    expect(pinned.status).toBe(400);
    expect(pinned.body.error).toContain('mediaNodeRef');
  });
});

describe('GET /proposals', () => {
  it('counts approvals on the head commit by people other than the requester and the bot: 0, 1, 2, then 0 after a push', async () => {
    const { number } = gatePr;
    expect((await proposalOf('carol', number))?.approvals).toEqual({
      required: 2,
      approvers: [],
      discounted: [],
      blocking: [expect.stringMatching(/^2 approvals of head [0-9a-f]{7} from people other than the authors \(carol\) and the bot are required; found 0$/)],
      satisfied: false,
    });
    await approve('reviewerA', number, gatePr.sha);
    expect((await proposalOf('carol', number))?.approvals).toMatchObject({ approvers: ['alice'], satisfied: false });
    // Gitea takes carol's approval (she did not open it); the rule does not count its requester.
    await approve('outsider', number, gatePr.sha);
    expect((await proposalOf('carol', number))?.approvals).toMatchObject({ approvers: ['alice'], discounted: [{ reviewer: 'carol', why: 'an author of the change' }] });
    await approve('reviewerB', number, gatePr.sha);
    expect((await proposalOf('carol', number))?.approvals).toMatchObject({ approvers: ['alice', 'bob'], blocking: [], satisfied: true });

    const pushed = await host('bot').commitFiles({
      branch: gatePr.branch,
      message: 'Add the lane camera',
      files: [{ path: 'clusters/dev/schools/school-17/nvrs/gate.yaml', content: `${(await host('admin').readFile(gatePr.branch, 'clusters/dev/schools/school-17/nvrs/gate.yaml'))!}    - { id: lane, name: Lane, channel: 2 }\n` }],
    });
    const after = (await proposalOf('carol', number))!;
    expect(after.approvals.approvers).toEqual([]);
    expect(after.approvals.satisfied).toBe(false);
    const stale = `approved ${gatePr.sha.slice(0, 7)}, not the head ${pushed.slice(0, 7)}`;
    // Gitea may already have dismissed them on the push; stale or dismissed, neither counts.
    expect(after.approvals.discounted.map((d) => [d.reviewer, d.why === stale || d.why === 'dismissed'])).toEqual([
      ['alice', true],
      ['bob', true],
      ['carol', true],
    ]);
    await approve('reviewerA', number, pushed);
    expect((await proposalOf('carol', number))?.approvals).toMatchObject({ approvers: ['alice'], satisfied: false });
  });

  it("shows a school admin only their school's proposals, and fleet-wide roles every one", async () => {
    const list = async (who: keyof typeof tokens, query = '') => {
      const res = await as(who, 'GET', `/proposals${query}`);
      expect(res.status).toBe(200);
      return (res.body.items as { school: string | null; kind: string | null; requestedBy: string | null }[]).map((p) => `${p.school ?? '-'} ${p.kind} ${p.requestedBy}`);
    };
    const all = await list('root');
    expect(new Set(all)).toEqual(new Set(['school-17 Nvr carol', 'school-42 Nvr dave', 'school-17 FaceIdDevice carol', 'school-17 School carol', '- MediaNode streams']));
    expect(await list('streams')).toEqual(all);
    expect(new Set(await list('carol'))).toEqual(new Set(['school-17 Nvr carol', 'school-17 FaceIdDevice carol', 'school-17 School carol']));
    expect(await list('dave')).toEqual(['school-42 Nvr dave']);
    expect(await list('root', '?schoolId=school-42')).toEqual(['school-42 Nvr dave']);
    expect((await as('carol', 'GET', '/proposals?schoolId=school-42')).status).toBe(403);
    expect((await as('guard', 'GET', '/proposals')).status).toBe(403);
  });

  it('pages the list newest first, each page asking the Git host only about its own proposals', async () => {
    const whole = (await as('root', 'GET', '/proposals')).body as { items: { number: number }[]; next: number | null };
    expect(whole.next).toBeNull();
    const numbers = whole.items.map((p) => p.number);
    expect(numbers).toEqual([...numbers].sort((x, y) => y - x));
    const seen: number[] = [];
    let before: number | null | undefined;
    for (let pages = 0; before !== null; pages++) {
      const page = (await as('root', 'GET', `/proposals?limit=2${before ? `&before=${before}` : ''}`)).body as { items: { number: number }[]; next: number | null };
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((p) => p.number));
      before = page.next;
      expect(pages).toBeLessThan(numbers.length);
    }
    expect(seen).toEqual(numbers);
    const bad = await as('root', 'GET', '/proposals?limit=500');
    expect([bad.status, bad.body.error]).toEqual([400, 'limit: Too big: expected number to be <=100']);
  });

  it('shows one proposal with the rendered diff to fleet-wide roles, its stat alone to its school\'s admin, and nothing to anyone else', async () => {
    const detailAs = (who: keyof typeof tokens) => as(who, 'GET', `/proposals/${gatePr.number}`);
    const [root, streams, carol] = await Promise.all([detailAs('root'), detailAs('streams'), detailAs('carol')]);
    expect([root.status, streams.status, carol.status]).toEqual([200, 200, 200]);
    const listed = await proposalOf('root', gatePr.number);
    const { diff, diffStat, ...described } = root.body as { diff: string; diffStat: { file: string }[] };
    expect(described).toEqual(listed);
    // The NVR's camera appears in its node's rendered config, its credentials redacted.
    expect(diff).toContain('+  school-17/school-17-gate/gate:\n+    source: rtsp://REDACTED:REDACTED@gate.nvr17.schools.example.org:554/Streaming/Channels/101\n');
    // The branch as it stands: the lane camera pushed after the proposal is in it too.
    expect(diff).toContain('+  school-17/school-17-gate/lane:\n');
    expect(diffStat.map((f) => f.file)).toEqual(['mediamtx-fsn1-a.yml', 'mediamtx-fsn1-b.yml', 'placements.yaml']);
    expect(streams.body).toEqual(root.body);
    expect(carol.body).toEqual({ ...root.body, diff: null });

    const [dave, guard, unknown, malformed] = await Promise.all([
      as('dave', 'GET', `/proposals/${gatePr.number}`),
      as('guard', 'GET', `/proposals/${gatePr.number}`),
      as('root', 'GET', '/proposals/99999'),
      as('root', 'GET', '/proposals/gate'),
    ]);
    expect([dave.status, dave.body.error]).toEqual([404, `number: no proposal ${gatePr.number}`]);
    expect(guard.status).toBe(403);
    expect([unknown.status, unknown.body.error]).toEqual([404, 'number: no proposal 99999']);
    expect([malformed.status, malformed.body.error]).toEqual([400, 'number: Invalid input: expected number, received NaN']);
  });
});

describe('the record', () => {
  it('audits every proposal call with its outcome, and no credential is in the audit log or the API log', async () => {
    const res = await as('root', 'GET', '/audit?limit=500');
    const entries = (res.body.items as { action: string; actorId: string; schoolId: string | null; result: string; params: Record<string, unknown> }[])
      .filter((e) => e.action.startsWith('proposal.'))
      .reverse();
    const summary = entries.map((e) => `${e.action} ${e.schoolId ?? '-'} ${e.params.name} ${e.result}`);
    expect(summary).toEqual([
      'proposal.Nvr.create school-17 school-17-gate ok',
      'proposal.Nvr.create school-17 school-17-gate ok',
      // Refused by role or scope: recorded against the school they aimed at, before the body is read.
      'proposal.Nvr.create school-17 undefined denied',
      'proposal.Nvr.update school-17 school-17-entrance denied',
      'proposal.Nvr.delete school-17 school-17-entrance denied',
      'proposal.School.update school-17 undefined denied',
      'proposal.FaceIdDevice.create school-17 undefined denied',
      'proposal.Nvr.create school-17 undefined denied',
      'proposal.Nvr.create school-17 undefined denied',
      'proposal.School.update school-17 undefined denied',
      'proposal.Nvr.update school-42 school-17-entrance not-found',
      'proposal.Nvr.delete school-42 school-17-entrance not-found',
      'proposal.MediaNode.create - undefined denied',
      'proposal.MediaNode.create - undefined denied',
      'proposal.MediaNode.create - hel1-a ok',
      'proposal.MediaNode.delete - fsn1-a conflict',
      'proposal.Nvr.create school-17 gate-2 invalid',
      'proposal.Nvr.create school-17 school-17-d invalid',
      'proposal.Nvr.create school-17 school-17-entrance conflict',
      'proposal.Nvr.update school-17 school-17-nothing not-found',
      'proposal.FaceIdDevice.delete school-17 school-17-nothing not-found',
      'proposal.Nvr.update school-17 school-17-entrance ok',
      'proposal.Nvr.delete school-42 school-42-yard ok',
      'proposal.FaceIdDevice.create school-17 school-17-side-door ok',
      'proposal.FaceIdDevice.update school-17 school-17-main-door ok',
      'proposal.FaceIdDevice.delete school-17 school-17-main-door ok',
      'proposal.School.update school-17 school-17 ok',
    ]);
    const first = entries[0]!;
    expect(first.params).toEqual({
      kind: 'Nvr',
      name: 'school-17-gate',
      schoolId: 'school-17',
      nvrLogin: 'new',
      loginRef: credentialsSecretName(nameKey, { schoolId: 'school-17', nvr: 'school-17-gate' }, nvrLogin),
      pullRequest: gatePr.number,
      branch: gatePr.branch,
      created: true,
    });
    const ids = new Map<string, string>((await as('root', 'GET', '/accounts')).body.items.map((a: { id: string; username: string }) => [a.id, a.username]));
    expect(ids.get(first.actorId)).toBe('carol');
    const refused = entries.find((e) => e.result === 'denied' && e.params.name === 'school-17-entrance')!;
    expect([ids.get(refused.actorId), refused.params]).toEqual([
      'dave',
      { kind: 'Nvr', name: 'school-17-entrance', schoolId: 'school-17', reason: 'schoolId: school school-17 is outside this account\'s scope' },
    ]);
    const record = `${res.text}\n${api.logLines().join('\n')}`;
    expect(record).not.toContain(nvrLogin.password);
    expect(record).not.toContain(nvrLogin.username);
  });
});

describe('without a Git host', () => {
  it('answers 503 with what to configure, after checking who asks', async () => {
    const embedded = await startTestApi();
    try {
      const admin = await login(embedded, await createAccount(embedded, 'carol', 'SCHOOL_ADMIN', ['school-a']));
      const write = await call(embedded, 'POST', '/schools/school-a/nvrs', { token: admin.accessToken, body: { ...gate, name: 'school-a-gate' } });
      expect(write.status).toBe(503);
      expect(write.body.error).toBe('proposals: no Git host is configured; set POSBON_GIT_HOST, POSBON_GIT_URL, POSBON_GIT_REPO, POSBON_GIT_TOKEN and POSBON_GIT_BOT');
      expect((await call(embedded, 'GET', '/proposals', { token: admin.accessToken })).status).toBe(503);
      expect((await call(embedded, 'POST', '/schools/school-b/nvrs', { token: admin.accessToken, body: { ...gate, name: 'school-b-gate' } })).status).toBe(403);

      // The document describes the write path either way.
      const { paths } = (await call(embedded, 'GET', '/openapi.json')).body as { paths: Record<string, Record<string, { 'x-posbon-action': string; responses: Record<string, unknown> }>> };
      const writes = Object.entries(paths).flatMap(([path, ops]) =>
        Object.entries(ops)
          .filter(([, op]) => op.responses['202'])
          .map(([method, op]) => `${method.toUpperCase()} ${path} ${op['x-posbon-action']} ${Object.keys(op.responses).join(',')}`),
      );
      expect(writes.sort()).toEqual([
        'DELETE /media-nodes/{name} media-node:write 202,400,401,403,404,409,415,503',
        'DELETE /schools/{schoolId}/faceid-devices/{name} faceid:write 202,400,401,403,404,409,415,503',
        'DELETE /schools/{schoolId}/nvrs/{name} nvr:write 202,400,401,403,404,409,415,503',
        'PATCH /schools/{schoolId} school:write 202,400,401,403,404,409,415,503',
        'POST /media-nodes media-node:write 202,400,401,403,404,409,415,503',
        'POST /schools/{schoolId}/faceid-devices faceid:write 202,400,401,403,404,409,415,503',
        'POST /schools/{schoolId}/nvrs nvr:write 202,400,401,403,404,409,415,503',
        'PUT /media-nodes/{name} media-node:write 202,400,401,403,404,409,415,503',
        'PUT /schools/{schoolId}/faceid-devices/{name} faceid:write 202,400,401,403,404,409,415,503',
        'PUT /schools/{schoolId}/nvrs/{name} nvr:write 202,400,401,403,404,409,415,503',
        'PUT /schools/{schoolId}/tunnel school:tunnel 202,400,401,403,404,409,415,503',
      ]);
      expect(paths['/proposals']?.get?.['x-posbon-action']).toBe('proposal:read');
    } finally {
      await embedded.close();
    }
  });
});
