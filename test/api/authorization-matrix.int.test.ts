// Every authenticated route × every role (and a school's LAN agent) × own school / other school / no token / expired token.
import { randomBytes, randomUUID } from 'node:crypto';
import { stringify } from 'yaml';
import type { Role } from '../../api/admin/access.js';
import { credentialsNameKey } from '../../api/admin/proposals/credentials-store.js';
import { KubernetesCredentialsStore } from '../../api/admin/proposals/kubernetes-credentials-store.js';
import { proposeFleetChange } from '../../gitops/fleet-change.js';
import { GiteaHost } from '../../gitops/hosts/gitea.js';
import { startGitea, type Gitea } from '../harness/gitea.js';
import { testKubeConfig, testNamespace } from '../harness/index.js';
import { call, createAccount, login, node, nvr, school, startTestApi, type TestAccount, type TestApi } from './fixture.js';

type Side = 'a' | 'b';
/** The account roles, and AGENT: a LAN agent holding a token that school A's admin issued. */
type Caller = Role | 'AGENT';
interface MatrixRoute {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: (side: Side) => string;
  body?: (side: Side) => unknown;
  /** Expected status for [own school, other school]; the caller's own school is school-a. */
  expect: Record<Caller, [number, number]>;
}

const all = (own: number, other = own): Record<Caller, [number, number]> => ({
  SUPER_ADMIN: [own, other],
  STREAM_ADMIN: [own, other],
  SCHOOL_ADMIN: [own, other],
  VIEWER: [own, other],
  AGENT: [own, other],
});
/** Fleet-wide roles read both schools; scoped roles (the agent too) only their own. */
const scoped = (ok = 200, otherForScoped = 403): Record<Caller, [number, number]> => ({
  SUPER_ADMIN: [ok, ok],
  STREAM_ADMIN: [ok, ok],
  SCHOOL_ADMIN: [ok, otherForScoped],
  VIEWER: [ok, otherForScoped],
  AGENT: [ok, otherForScoped],
});
const only = (roles: Partial<Record<Caller, [number, number]>>): Record<Caller, [number, number]> => ({
  SUPER_ADMIN: [403, 403],
  STREAM_ADMIN: [403, 403],
  SCHOOL_ADMIN: [403, 403],
  VIEWER: [403, 403],
  AGENT: [403, 403],
  ...roles,
});
const NOT_AGENT: Pick<Record<Caller, [number, number]>, 'AGENT'> = { AGENT: [403, 403] };

const ROUTES: MatrixRoute[] = [
  { name: 'list schools', method: 'GET', path: () => '/schools', expect: all(200) },
  { name: 'read a school', method: 'GET', path: (s) => `/schools/school-${s}`, expect: scoped() },
  { name: 'list NVRs of a school', method: 'GET', path: (s) => `/schools/school-${s}/nvrs`, expect: scoped() },
  { name: 'list cameras of a school', method: 'GET', path: (s) => `/schools/school-${s}/cameras`, expect: scoped() },
  // An NVR's school is known only after the lookup, so an out-of-scope NVR answers as absent.
  { name: 'read an NVR', method: 'GET', path: (s) => `/nvrs/gate-${s}`, expect: scoped(200, 404) },
  { name: 'read a camera', method: 'GET', path: (s) => `/cameras/school-${s}.gate-${s}.entrance`, expect: scoped() },
  { name: 'get a stream token', method: 'GET', path: (s) => `/cameras/school-${s}.gate-${s}.entrance/stream`, expect: { ...scoped(), ...NOT_AGENT } },
  // Connection tests: this API has no probe sidecar configured, so a permitted call answers 503 after the scope check.
  {
    name: 'test an NVR connection',
    method: 'POST',
    path: (s) => `/nvrs/gate-${s}/test-connection`,
    body: () => ({ kind: 'tcp' }),
    expect: only({ SUPER_ADMIN: [503, 503], STREAM_ADMIN: [503, 503], SCHOOL_ADMIN: [503, 404], AGENT: [503, 404] }),
  },
  {
    name: 'test a proposed NVR from the node',
    method: 'POST',
    path: (s) => `/schools/school-${s}/test-connection`,
    body: () => ({ kind: 'tcp', host: '203.0.113.50' }),
    expect: only({ SUPER_ADMIN: [503, 503], STREAM_ADMIN: [503, 503], SCHOOL_ADMIN: [503, 403], AGENT: [503, 403] }),
  },
  { name: 'list media nodes', method: 'GET', path: () => '/media-nodes', expect: only({ SUPER_ADMIN: [200, 200], STREAM_ADMIN: [200, 200] }) },
  { name: 'read a media node', method: 'GET', path: (s) => `/media-nodes/node-${s}`, expect: only({ SUPER_ADMIN: [200, 200], STREAM_ADMIN: [200, 200] }) },
  { name: 'read the audit log', method: 'GET', path: () => '/audit', expect: only({ SUPER_ADMIN: [200, 200], SCHOOL_ADMIN: [200, 200] }) },
  {
    name: 'read a school\'s audit log',
    method: 'GET',
    path: (s) => `/audit?schoolId=school-${s}`,
    expect: only({ SUPER_ADMIN: [200, 200], SCHOOL_ADMIN: [200, 403] }),
  },
  {
    name: 'read a school\'s attendance day',
    method: 'GET',
    path: (s) => `/attendance/schools/school-${s}/days/2026-01-05`,
    expect: only({ SUPER_ADMIN: [200, 200], SCHOOL_ADMIN: [200, 403] }),
  },
  { name: 'list accounts', method: 'GET', path: () => '/accounts', expect: only({ SUPER_ADMIN: [200, 200] }) },
  {
    name: 'create an account',
    method: 'POST',
    path: () => '/accounts',
    body: (s) => ({ username: `v-${randomUUID().slice(0, 8)}`, role: 'VIEWER', schools: [`school-${s}`] }),
    expect: only({ SUPER_ADMIN: [201, 201] }),
  },
  { name: 'who am I', method: 'GET', path: () => '/me', expect: { ...all(200), ...NOT_AGENT } },
  // A wrong current password: the change is refused after the role check, for every account role.
  {
    name: 'change my password',
    method: 'POST',
    path: () => '/auth/password',
    body: () => ({ currentPassword: 'not-the-current-one', newPassword: 'a-long-new-passphrase' }),
    expect: { ...all(400), ...NOT_AGENT },
  },
  // Every account holder may ask; these admins already hold a second factor and a VIEWER needs none: a conflict either way.
  { name: 'offer me a second factor', method: 'POST', path: () => '/auth/totp/enrolment', expect: { ...all(409), ...NOT_AGENT } },
  {
    name: 'confirm my second factor',
    method: 'POST',
    path: () => '/auth/totp/enrolment/confirm',
    body: () => ({ code: '000000' }),
    expect: { ...all(409), ...NOT_AGENT },
  },
  // The account lifecycle: SUPER_ADMIN's alone, on a VIEWER kept for the purpose.
  { name: 'change an account\'s scope', method: 'PATCH', path: () => `/accounts/${targetId}`, body: () => ({ schools: ['school-a'] }), expect: only({ SUPER_ADMIN: [200, 200] }) },
  { name: 'disable an account', method: 'POST', path: () => `/accounts/${targetId}/disable`, expect: only({ SUPER_ADMIN: [200, 200] }) },
  { name: 'enable an account', method: 'POST', path: () => `/accounts/${targetId}/enable`, expect: only({ SUPER_ADMIN: [200, 200] }) },
  { name: 'reset an account\'s credentials', method: 'POST', path: () => `/accounts/${targetId}/reset-credentials`, expect: only({ SUPER_ADMIN: [200, 200] }) },
  { name: 'unlock an account', method: 'POST', path: () => `/accounts/${targetId}/unlock`, expect: only({ SUPER_ADMIN: [200, 200] }) },
  { name: 'delete an unknown account', method: 'DELETE', path: () => `/accounts/${randomUUID()}`, expect: only({ SUPER_ADMIN: [404, 404] }) },
  // Write endpoints: proposals to the fleet repository on a real Gitea, for a school's own admin or STREAM_ADMIN only.
  {
    name: 'propose an NVR',
    method: 'POST',
    path: (s) => `/schools/school-${s}/nvrs`,
    body: (s) => ({ name: `school-${s}-cam-${suffix()}`, vendor: 'hikvision', publicHost: '203.0.113.40', cameras: [{ id: 'c1', name: 'C1', channel: 1 }], credentials: { username: 'viewer', password: 'matrix-pw' } }),
    expect: only({ SCHOOL_ADMIN: [202, 403], AGENT: [202, 403] }),
  },
  {
    name: 'propose an NVR update',
    method: 'PUT',
    path: (s) => `/schools/school-${s}/nvrs/gate-${s}`,
    body: () => ({ vendor: 'dahua', publicHost: '203.0.113.41', cameras: [{ id: 'entrance', name: 'Entrance', channel: 1 }] }),
    expect: only({ SCHOOL_ADMIN: [202, 403], AGENT: [202, 403] }),
  },
  { name: 'propose removing an NVR', method: 'DELETE', path: (s) => `/schools/school-${s}/nvrs/gate-${s}`, expect: only({ SCHOOL_ADMIN: [202, 403], AGENT: [202, 403] }) },
  {
    name: 'propose a FaceID device',
    method: 'POST',
    path: (s) => `/schools/school-${s}/faceid-devices`,
    body: (s) => ({ name: `school-${s}-door-${suffix()}`, vendor: 'zkteco', direction: 'in', serialNumber: `ZK${suffix()}`, lan: { localIp: '192.168.1.20' } }),
    expect: only({ SCHOOL_ADMIN: [202, 403], AGENT: [202, 403] }),
  },
  {
    name: 'propose a FaceID device update',
    method: 'PUT',
    path: (s) => `/schools/school-${s}/faceid-devices/door-${s}`,
    body: () => ({ vendor: 'hikvision', direction: 'both', serialNumber: 'DS-1', lan: { localIp: '192.168.1.21' } }),
    expect: only({ SCHOOL_ADMIN: [202, 403], AGENT: [202, 403] }),
  },
  { name: 'propose removing a FaceID device', method: 'DELETE', path: (s) => `/schools/school-${s}/faceid-devices/door-${s}`, expect: only({ SCHOOL_ADMIN: [202, 403], AGENT: [202, 403] }) },
  // This API has no webhook ingress configured, so a permitted call answers 503 after the scope check.
  {
    name: 'issue a FaceID terminal credential',
    method: 'POST',
    path: (s) => `/schools/school-${s}/faceid-devices/door-${s}/webhook-credential`,
    body: () => ({}),
    expect: only({ SCHOOL_ADMIN: [503, 403], AGENT: [503, 403] }),
  },
  { name: 'propose school settings', method: 'PATCH', path: (s) => `/schools/school-${s}`, body: () => ({ displayName: 'Renamed' }), expect: only({ SCHOOL_ADMIN: [202, 403] }) },
  {
    name: 'propose a school\'s tunnel gateway',
    method: 'PUT',
    path: (s) => `/schools/school-${s}/tunnel`,
    body: () => ({ publicKey: 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=', expose: ['192.168.10.0/28'] }),
    expect: only({ SCHOOL_ADMIN: [202, 403], AGENT: [202, 403] }),
  },
  {
    name: 'propose a media node',
    method: 'POST',
    path: () => '/media-nodes',
    body: () => ({ name: `node-${suffix()}`, region: 'r1', egressIPs: ['198.51.100.40'], webrtcBaseUrl: 'https://n.media.example.org', hlsBaseUrl: 'https://n.media.example.org' }),
    expect: only({ STREAM_ADMIN: [202, 202] }),
  },
  {
    name: 'propose a media node update',
    method: 'PUT',
    path: (s) => `/media-nodes/node-${s}`,
    body: (s) => ({ region: 'r1', egressIPs: [s === 'a' ? '198.51.100.10' : '198.51.100.11'], webrtcBaseUrl: 'https://n.media.example.org', hlsBaseUrl: 'https://n.media.example.org', capacityWeight: 90 }),
    expect: only({ STREAM_ADMIN: [202, 202] }),
  },
  { name: 'propose removing a drained media node', method: 'DELETE', path: (s) => `/media-nodes/node-old-${s}`, expect: only({ STREAM_ADMIN: [202, 202] }) },
  { name: 'list open proposals', method: 'GET', path: () => '/proposals', expect: only({ SUPER_ADMIN: [200, 200], STREAM_ADMIN: [200, 200], SCHOOL_ADMIN: [200, 200], AGENT: [200, 200] }) },
  {
    name: 'list a school\'s open proposals',
    method: 'GET',
    path: (s) => `/proposals?schoolId=school-${s}`,
    expect: only({ SUPER_ADMIN: [200, 200], STREAM_ADMIN: [200, 200], SCHOOL_ADMIN: [200, 403], AGENT: [200, 403] }),
  },
  { name: 'list my sessions', method: 'GET', path: () => '/auth/sessions', expect: { ...all(200), ...NOT_AGENT } },
  { name: 'revoke a session that is not mine', method: 'DELETE', path: () => `/auth/sessions/${randomUUID()}`, expect: { ...all(404), ...NOT_AGENT } },
  // Agent tokens: a school's own admin issues and revokes them; no agent manages tokens.
  {
    name: 'issue an agent token',
    method: 'POST',
    path: (s) => `/schools/school-${s}/agent-tokens`,
    body: () => ({ label: 'matrix' }),
    expect: only({ SCHOOL_ADMIN: [201, 403] }),
  },
  { name: 'list agent tokens', method: 'GET', path: (s) => `/schools/school-${s}/agent-tokens`, expect: only({ SUPER_ADMIN: [200, 200], SCHOOL_ADMIN: [200, 403] }) },
  { name: 'revoke an unknown agent token', method: 'DELETE', path: (s) => `/schools/school-${s}/agent-tokens/${randomUUID()}`, expect: only({ SCHOOL_ADMIN: [404, 403] }) },
];

const ROLE_ORDER: Caller[] = ['SUPER_ADMIN', 'STREAM_ADMIN', 'SCHOOL_ADMIN', 'VIEWER', 'AGENT'];
const OTHER_SCHOOL_MARKERS = ['school-b', 'gate-b', 'node-b'];

const suffix = () => randomBytes(3).toString('hex');

/** The two-school fleet as the fleet repository holds it, plus a FaceID device per school and a drained node per school. */
function fleetFiles(): { path: string; content: string }[] {
  const drained = (name: string, ip: string) => {
    const n = node(name, 'r1', ip);
    return { ...n, spec: { ...n.spec, cordoned: true } };
  };
  const door = (s: string) => ({
    apiVersion: 'posbon.io/v1alpha1',
    kind: 'FaceIdDevice',
    metadata: { name: `door-${s}` },
    spec: { schoolRef: `school-${s}`, vendor: 'hikvision', direction: 'in', serialNumber: `DS-${s}`, lan: { localIp: '192.168.1.20' } },
  });
  const files: Record<string, unknown> = {};
  for (const [s, ip] of [['a', '198.51.100.10'], ['b', '198.51.100.11']] as const) {
    files[`clusters/dev/media-nodes/node-${s}.yaml`] = node(`node-${s}`, 'r1', ip);
    files[`clusters/dev/media-nodes/node-old-${s}.yaml`] = drained(`node-old-${s}`, s === 'a' ? '198.51.100.12' : '198.51.100.13');
    files[`clusters/dev/schools/school-${s}/school.yaml`] = school(`school-${s}`, 'r1', `node-${s}`);
    files[`clusters/dev/schools/school-${s}/nvrs/gate-${s}.yaml`] = nvr(`gate-${s}`, `school-${s}`, s === 'a' ? '203.0.113.20' : '203.0.113.21', ['entrance']);
    files[`clusters/dev/schools/school-${s}/faceid/door-${s}.yaml`] = door(s);
  }
  return Object.entries(files).map(([path, object]) => ({ path, content: stringify(object) }));
}

let gitea: Gitea;
let api: TestApi;
const accounts = new Map<Role, TestAccount>();
const tokens = new Map<Caller, string>();
let agentTokenId: string;
let expiredToken: string;
/** The account the lifecycle routes act on. */
let targetId: string;
/** A VIEWER that still holds its generated password. */
let unchangedToken: string;

beforeAll(async () => {
  gitea = await startGitea(process.env.POSBON_TEST_PG_URL!);
  const repo = await gitea.createRepository('fleet');
  const host = (token: string) => GiteaHost.create({ url: gitea.url, ...repo, token });
  await host(gitea.users.admin.token).commitFiles({ branch: 'main', message: 'Two schools', files: fleetFiles() });
  // An open proposal of the other school, which a school admin's list must not show.
  await proposeFleetChange(host(gitea.users.bot.token), { env: 'dev', put: [{ ...school('school-b', 'r1', 'node-b'), metadata: { name: 'school-b' }, spec: { ...school('school-b', 'r1', 'node-b').spec, displayName: 'B' } }] });
  const kc = testKubeConfig();
  api = await startTestApi({
    proposals: {
      host: host(gitea.users.bot.token),
      credentials: KubernetesCredentialsStore.create({ kc, namespace: await testNamespace(kc, 'matrix'), nameKey: credentialsNameKey(randomBytes(32)) }),
      env: 'dev',
      bot: gitea.users.bot.login,
      authorDomain: 'posbon.test',
    },
  });
  accounts.set('SUPER_ADMIN', await createAccount(api, 'root', 'SUPER_ADMIN'));
  accounts.set('STREAM_ADMIN', await createAccount(api, 'streams', 'STREAM_ADMIN'));
  accounts.set('SCHOOL_ADMIN', await createAccount(api, 'head-a', 'SCHOOL_ADMIN', ['school-a']));
  accounts.set('VIEWER', await createAccount(api, 'guard-a', 'VIEWER', ['school-a']));
  targetId = (await createAccount(api, 'matrix-target', 'VIEWER', ['school-a'])).id;
  const unchanged = await api.services.accounts.create({ username: 'guard-new', role: 'VIEWER', schools: ['school-a'] });
  unchangedToken = (await login(api, { id: unchanged.account.id, username: 'guard-new', role: 'VIEWER', password: unchanged.initialPassword, totpSecret: null })).accessToken;
  // An access token issued 16 minutes ago has expired by now (they live 10).
  api.clock.offsetMs = -16 * 60_000;
  expiredToken = (await login(api, accounts.get('SUPER_ADMIN')!)).accessToken;
  api.clock.offsetMs = 0;
  for (const role of ROLE_ORDER.filter((r): r is Role => r !== 'AGENT')) tokens.set(role, (await login(api, accounts.get(role)!, 1)).accessToken);
  const issued = await call(api, 'POST', '/schools/school-a/agent-tokens', { token: tokens.get('SCHOOL_ADMIN')!, body: { label: 'gate PC', ttlHours: 4 } });
  expect(issued.status).toBe(201);
  tokens.set('AGENT', issued.body.token);
  agentTokenId = issued.body.id;
  // Audit entries of both schools exist before anyone reads the log.
  await call(api, 'GET', '/cameras/school-b.gate-b.entrance/stream', { token: tokens.get('SUPER_ADMIN')! });
  await call(api, 'GET', '/cameras/school-a.gate-a.entrance/stream', { token: tokens.get('SUPER_ADMIN')! });
}, 300_000);

afterAll(async () => {
  await api?.close();
  await gitea?.stop();
}, 60_000);

describe('authorization matrix', () => {
  describe.each(ROUTES)('$method $name', (r) => {
    it.each(ROLE_ORDER)('%s: own school and other school', async (role) => {
      const seen: Array<[Side, number]> = [];
      for (const side of ['a', 'b'] as const) {
        const res = await call(api, r.method, r.path(side), { token: tokens.get(role)!, ...(r.body ? { body: r.body(side) } : {}) });
        seen.push([side, res.status]);
        if (res.status < 300 && (role === 'SCHOOL_ADMIN' || role === 'VIEWER' || role === 'AGENT')) {
          for (const marker of OTHER_SCHOOL_MARKERS) expect({ route: r.path(side), leaks: res.text.includes(marker) }).toEqual({ route: r.path(side), leaks: false });
        }
      }
      expect(seen).toEqual([
        ['a', r.expect[role][0]],
        ['b', r.expect[role][1]],
      ]);
    });

    it('refuses a request without a token, and one with an expired token', async () => {
      const none = await call(api, r.method, r.path('a'), r.body ? { body: r.body('a') } : {});
      const expired = await call(api, r.method, r.path('a'), { token: expiredToken, ...(r.body ? { body: r.body('a') } : {}) });
      expect([none.status, expired.status]).toEqual([401, 401]);
      expect(expired.body.error).toBe('access token: expired');
    });
  });

  it('refuses every route but whoami, logout, the password change and second-factor enrolment to an account that must change its password', async () => {
    const seen: Array<[string, number, string | undefined]> = [];
    for (const r of ROUTES) {
      const res = await call(api, r.method, r.path('a'), { token: unchangedToken, ...(r.body ? { body: r.body('a') } : {}) });
      seen.push([r.name, res.status, res.body?.code]);
    }
    const open: Record<string, [number, undefined]> = {
      'who am I': [200, undefined],
      'change my password': [400, undefined],
      'offer me a second factor': [409, undefined],
      'confirm my second factor': [409, undefined],
    };
    expect(seen).toEqual(ROUTES.map((r) => [r.name, ...(open[r.name] ?? [403, 'PASSWORD_CHANGE_REQUIRED'])]));
    expect((await call(api, 'POST', '/auth/logout', { token: unchangedToken })).status).toBe(200);
  });

  it('lists only the caller\'s schools to scoped roles, and all to fleet-wide roles', async () => {
    const ids = async (role: Caller) => (await call(api, 'GET', '/schools', { token: tokens.get(role)! })).body.items.map((s: { id: string }) => s.id);
    expect(await ids('SUPER_ADMIN')).toEqual(['school-a', 'school-b']);
    expect(await ids('STREAM_ADMIN')).toEqual(['school-a', 'school-b']);
    expect(await ids('SCHOOL_ADMIN')).toEqual(['school-a']);
    expect(await ids('VIEWER')).toEqual(['school-a']);
    expect(await ids('AGENT')).toEqual(['school-a']);
  });

  it('audits an agent\'s proposal as the agent, requested in Git by the admin who issued its token', async () => {
    const name = `school-a-agent-${suffix()}`;
    const proposed = await call(api, 'POST', '/schools/school-a/nvrs', {
      token: tokens.get('AGENT')!,
      headers: { 'x-request-id': `agent-${name}` },
      body: { name, vendor: 'hikvision', publicHost: '203.0.113.42', cameras: [{ id: 'c1', name: 'C1', channel: 1 }], credentials: { username: 'viewer', password: 'agent-pw' } },
    });
    expect(proposed.status).toBe(202);
    const open = await call(api, 'GET', '/proposals?schoolId=school-a', { token: tokens.get('SUPER_ADMIN')! });
    const mine = (open.body.items as { number: number; requestedBy: string | null }[]).find((p) => p.number === proposed.body.proposal.number);
    expect(mine?.requestedBy).toBe('head-a (school agent)');
    const audited = await call(api, 'GET', '/audit?schoolId=school-a&action=proposal.Nvr.create&limit=500', { token: tokens.get('SUPER_ADMIN')! });
    const entry = (audited.body.items as { requestId: string }[]).find((e) => e.requestId === `agent-${name}`);
    expect(entry).toMatchObject({ actorType: 'agent', actorId: `agent:${agentTokenId}`, schoolId: 'school-a', result: 'ok' });
    expect(JSON.stringify(audited.body)).not.toContain('agent-pw');
  });

  it('shows a school admin only the audit entries of their schools', async () => {
    const res = await call(api, 'GET', '/audit?action=stream.token', { token: tokens.get('SCHOOL_ADMIN')! });
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBeGreaterThan(0);
    expect(new Set(res.body.items.map((e: { schoolId: string }) => e.schoolId))).toEqual(new Set(['school-a']));
  });

  it('logs out a session, which ends its refresh token', async () => {
    const tokensOfViewer = await login(api, accounts.get('VIEWER')!);
    expect((await call(api, 'POST', '/auth/logout', { token: tokensOfViewer.accessToken })).status).toBe(200);
    expect((await call(api, 'POST', '/auth/refresh', { body: { refreshToken: tokensOfViewer.refreshToken } })).status).toBe(401);
    expect((await call(api, 'POST', '/auth/logout')).status).toBe(401);
  });
});
