// A FaceID terminal's credential, issued through the admin API and taken by the real webhook ingress on the same
// database: shown once, rotated with an overlap, scoped like every other school write.
import { randomBytes } from 'node:crypto';
import { testDatabase } from '../harness/index.js';
import { hikvisionEventJson } from '../webhook/fixtures.js';
import { startTestIngress, type TestIngress } from '../webhook/ingress.js';
import { call, createAccount, login, startTestApi, type TestApi } from './fixture.js';

const keys = { tokenHashKey: randomBytes(32), sealingKey: randomBytes(32) };
let ingress: TestIngress;
let api: TestApi;
let bare: TestApi;
const tokens: Record<'head' | 'viewer' | 'agent', string> = { head: '', viewer: '', agent: '' };

beforeAll(async () => {
  const databaseUrl = await testDatabase('faceid');
  ingress = await startTestIngress(databaseUrl, { keys });
  api = await startTestApi({ databaseUrl, webhook: { publicUrl: `${ingress.base}/`, keys: { tokenHashKey: keys.tokenHashKey } } });
  bare = await startTestApi();
  tokens.head = (await login(api, await createAccount(api, 'head-a', 'SCHOOL_ADMIN', ['school-a']))).accessToken;
  tokens.viewer = (await login(api, await createAccount(api, 'guard-a', 'VIEWER', ['school-a']))).accessToken;
  tokens.agent = (await call(api, 'POST', '/schools/school-a/agent-tokens', { token: tokens.head, body: { label: 'door PC' } })).body.token;
});

afterAll(async () => {
  await api?.close();
  await bare?.close();
  await ingress?.close();
});

const push = (url: string, serialNo: number) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(hikvisionEventJson({ serialNo, employeeNoString: `p${serialNo}` })) });
// gw-1 is a Hikvision terminal the ingress knows that has no path token yet.
const issue = (token: string, body: unknown = {}, school = 'school-a', device = 'gw-1') =>
  call(api, 'POST', `/schools/${school}/faceid-devices/${device}/webhook-credential`, { token, body });

describe('FaceID terminal credentials', () => {
  it('are issued once, with push URLs the ingress takes, and rotate with an overlap', async () => {
    const first = await issue(tokens.head);
    expect(first.status).toBe(201);
    const token = first.body.token as string;
    expect(token).toMatch(/^pdt_/);
    expect(first.body).toEqual({
      schoolId: 'school-a',
      deviceId: 'gw-1',
      token,
      urls: { hikvisionIn: `${ingress.base}/webhook/school-a/in/${token}`, hikvisionOut: `${ingress.base}/webhook/school-a/out/${token}`, dahua: `${ingress.base}/dahua/school-a/${token}` },
      rotated: false,
      previousValidUntil: null,
    });
    // The ingress trusts a token it verified for half a minute, so each refusal below is of a token it never saw.
    // The agent reconfigures the terminal with no overlap asked for: the first token stops at once.
    const second = await issue(tokens.agent, { overlapHours: 0 });
    expect(second.body).toMatchObject({ rotated: true, previousValidUntil: expect.any(String) });
    expect((await push(first.body.urls.hikvisionIn, 1)).status).toBe(401);
    expect((await push(second.body.urls.hikvisionIn, 2)).status).toBe(200);

    // With the default overlap, the previous token keeps working while the terminal is reconfigured.
    const third = await issue(tokens.head);
    const fourth = await issue(tokens.head);
    expect((await push(third.body.urls.hikvisionOut, 3)).status).toBe(200);
    expect((await push(fourth.body.urls.hikvisionOut, 4)).status).toBe(200);

    const stored = await api.dataSource.query("SELECT count(*)::int AS n FROM attendance_event WHERE school_id = 'school-a' AND device_id = 'gw-1'");
    expect(stored).toEqual([{ n: 3 }]);
    for (const t of [token, second.body.token, third.body.token, fourth.body.token]) {
      expect(api.logLines().join('\n')).not.toContain(t.slice(4));
      expect(JSON.stringify(await api.dataSource.query('SELECT * FROM audit_entry'))).not.toContain(t.slice(4));
    }
  });

  it('are a school write: refused to viewers and outside the scope, and answer 503 until configured', async () => {
    expect((await issue(tokens.viewer)).status).toBe(403);
    expect((await issue(tokens.head, {}, 'school-b')).status).toBe(403);
    expect((await issue(tokens.agent, {}, 'school-b')).status).toBe(403);
    const bad = await issue(tokens.head, { overlapHours: 500 });
    expect([bad.status, bad.body.error]).toEqual([400, 'overlapHours: at most 168']);
    const badName = await issue(tokens.head, {}, 'school-a', 'Gate_1');
    expect([badName.status, badName.body.error]).toEqual([400, 'name: must be a FaceID device name (DNS label)']);

    const head = (await login(bare, await createAccount(bare, 'head-a', 'SCHOOL_ADMIN', ['school-a']))).accessToken;
    const off = await call(bare, 'POST', '/schools/school-a/faceid-devices/gate-1/webhook-credential', { token: head, body: {} });
    expect([off.status, off.body.error]).toEqual([503, 'webhook credentials are not configured: set POSBON_WEBHOOK_PUBLIC_URL and POSBON_TOKEN_HASH_KEY']);
  });
});
