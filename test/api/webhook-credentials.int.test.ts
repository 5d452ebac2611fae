// A FaceID terminal's credential, issued through the admin API and taken by the real webhook ingress on the same
// database: shown once, rotated with an overlap, scoped like every other school write.
import { randomBytes } from 'node:crypto';
import { testDatabase } from '../harness/index.js';
import { hikvisionEventJson } from '../webhook/fixtures.js';
import { startTestIngress, type TestIngress } from '../webhook/ingress.js';
import { call, createAccount, faceIdDevice, login, startTestApi, twoSchoolFleet, type TestApi } from './fixture.js';

const keys = { tokenHashKey: randomBytes(32), sealingKey: randomBytes(32) };
let ingress: TestIngress;
let api: TestApi;
let bare: TestApi;
const tokens: Record<'head' | 'viewer' | 'agent', string> = { head: '', viewer: '', agent: '' };

beforeAll(async () => {
  const databaseUrl = await testDatabase('faceid');
  ingress = await startTestIngress(databaseUrl, { keys });
  // The fleet's terminals: what the ingress knows (test/webhook/ingress.ts), as FaceIdDevice resources.
  const fleet = twoSchoolFleet();
  fleet.schools[0]!.spec.faceIdSourceAddresses = ['127.0.0.1/32'];
  fleet.faceIdDevices = [
    faceIdDevice('gw-1', 'school-a', 'hikvision', 'GW-0001'),
    faceIdDevice('zk-1', 'school-a', 'zkteco', 'CKJ0001'),
    faceIdDevice('dh-1', 'school-a', 'dahua', 'DH-0001'),
    faceIdDevice('gate-1', 'school-a', 'hikvision', 'DS-K1T671-0001', 'in'),
    faceIdDevice('gate-9', 'school-b', 'hikvision', 'DS-K1T671-0009', 'in'),
  ];
  api = await startTestApi({ databaseUrl, webhook: { publicUrl: `${ingress.base}/`, keys: { tokenHashKey: keys.tokenHashKey } }, fleet });
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
      vendor: 'hikvision',
      token,
      push: {
        protocol: 'http',
        host: '127.0.0.1',
        port: ingress.port,
        urls: { in: `${ingress.base}/webhook/school-a/in/${token}`, out: `${ingress.base}/webhook/school-a/out/${token}` },
      },
      rotated: false,
      previousValidUntil: null,
    });
    // The ingress trusts a token it verified for half a minute, so each refusal below is of a token it never saw.
    // The agent reconfigures the terminal with no overlap asked for: the first token stops at once.
    const second = await issue(tokens.agent, { overlapHours: 0 });
    expect(second.body).toMatchObject({ rotated: true, previousValidUntil: expect.any(String) });
    expect((await push(first.body.push.urls.in, 1)).status).toBe(401);
    expect((await push(second.body.push.urls.in, 2)).status).toBe(200);

    // With the default overlap, the previous token keeps working while the terminal is reconfigured.
    const third = await issue(tokens.head);
    const fourth = await issue(tokens.head);
    expect((await push(third.body.push.urls.out, 3)).status).toBe(200);
    expect((await push(fourth.body.push.urls.out, 4)).status).toBe(200);

    const stored = await api.dataSource.query("SELECT count(*)::int AS n FROM attendance_event WHERE school_id = 'school-a' AND device_id = 'gw-1'");
    expect(stored).toEqual([{ n: 3 }]);
    for (const t of [token, second.body.token, third.body.token, fourth.body.token]) {
      expect(api.logLines().join('\n')).not.toContain(t.slice(4));
      expect(JSON.stringify(await api.dataSource.query('SELECT * FROM audit_entry'))).not.toContain(t.slice(4));
    }
  });

  it("are refused for a device that is not in the fleet, with a 404 naming it", async () => {
    const res = await issue(tokens.head, {}, 'school-a', 'gate-77');
    expect([res.status, res.body.error]).toEqual([404, 'name: school school-a has no FaceIdDevice gate-77 in the fleet']);
    // Another school's device is not this school's either.
    const other = await call(api, 'POST', '/schools/school-a/faceid-devices/gate-9/webhook-credential', { token: tokens.head, body: {} });
    expect(other.status).toBe(404);
  });

  it("answer in each vendor's own terms: Dahua's upload URL, Hikvision only the directions it records, ZKTeco's server settings", async () => {
    const dahua = await issue(tokens.head, {}, 'school-a', 'dh-1');
    expect(dahua.body).toMatchObject({ vendor: 'dahua', push: { urls: { upload: `${ingress.base}/dahua/school-a/${dahua.body.token}` } } });
    expect(Object.keys(dahua.body.push.urls)).toEqual(['upload']);
    const entry = await issue(tokens.head, {}, 'school-a', 'gate-1');
    expect(Object.keys(entry.body.push.urls)).toEqual(['in']);
    const zk = await issue(tokens.head, {}, 'school-a', 'zk-1');
    expect([zk.status, zk.body]).toEqual([
      201,
      {
        schoolId: 'school-a',
        deviceId: 'zk-1',
        vendor: 'zkteco',
        token: null,
        push: { protocol: 'http', host: '127.0.0.1', port: ingress.port, urls: { server: `${ingress.base}/` }, serialNumber: 'CKJ0001', sourceAddresses: ['127.0.0.1/32'] },
        rotated: false,
        previousValidUntil: null,
      },
    ]);
    // What it says works: the device's ADMS handshake at that server from a declared address.
    const handshake = await fetch(`${zk.body.push.urls.server}iclock/cdata?SN=${zk.body.push.serialNumber}&options=all`);
    expect(handshake.status).toBe(200);
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
