// The agent points a Hikvision terminal at the webhook: the terminal's ISAPI (our simulator, Digest auth), the admin
// API issuing its token, and the real webhook ingress on the same database taking what the terminal then pushes.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { testDatabase } from '../test/harness/index.js';
import { startIsapiSimulator, type IsapiSimulator } from '../test/sim/isapi.js';
import { hikvisionEventJson } from '../test/webhook/fixtures.js';
import { startTestIngress, type TestIngress } from '../test/webhook/ingress.js';
import { call, createAccount, faceIdDevice, login, startTestApi, twoSchoolFleet, type TestApi } from '../test/api/fixture.js';

const run = promisify(execFile);
const keys = { tokenHashKey: randomBytes(32), sealingKey: randomBytes(32) };
const TERMINAL = { username: 'admin', password: `Door-${randomBytes(4).toString('hex')}`, serialNumber: 'DS-K1T671-0042', model: 'DS-K1T671MF' };
let ingress: TestIngress;
let api: TestApi;
let terminal: IsapiSimulator;
let agentToken: string;

beforeAll(async () => {
  const databaseUrl = await testDatabase('provision');
  ingress = await startTestIngress(databaseUrl, { keys });
  const fleet = { ...twoSchoolFleet(), faceIdDevices: [faceIdDevice('gw-1', 'school-a', 'hikvision', 'GW-0001')] };
  api = await startTestApi({ databaseUrl, webhook: { publicUrl: ingress.base, keys: { tokenHashKey: keys.tokenHashKey } }, fleet });
  const head = (await login(api, await createAccount(api, 'head-a', 'SCHOOL_ADMIN', ['school-a']))).accessToken;
  agentToken = (await call(api, 'POST', '/schools/school-a/agent-tokens', { token: head, body: { label: 'door PC' } })).body.token;
  terminal = await startIsapiSimulator(TERMINAL);
});

afterAll(async () => {
  await terminal?.stop();
  await api?.close();
  await ingress?.close();
});

async function provision(password = TERMINAL.password): Promise<{ code: number; stdout: string; err: string }> {
  const args = ['provision-faceid', '--school', 'school-a', '--device', 'gw-1', '--lan-host', '127.0.0.1', '--lan-port', String(terminal.port), '--direction', 'in', '--username', TERMINAL.username, '--json'];
  const env = { ...process.env, POSBON_API_URL: api.url, POSBON_AGENT_TOKEN: agentToken, POSBON_NVR_PASSWORD: password };
  try {
    const { stdout, stderr } = await run(join(process.cwd(), 'node_modules/.bin/tsx'), [join(process.cwd(), 'agent/cli/bin.ts'), ...args], { env, timeout: 60_000 });
    return { code: 0, stdout, err: stderr.trim() };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, err: e.stderr.trim() };
  }
}

const stored = async () => (await api.dataSource.query("SELECT count(*)::int AS n FROM attendance_event WHERE device_id = 'gw-1'")) as { n: number }[];
const issued = async () => (await api.dataSource.query("SELECT count(*)::int AS n FROM audit_entry WHERE action = 'faceid.webhook-credential'")) as { n: number }[];

describe('provisioning a Hikvision terminal', () => {
  it('refuses a wrong terminal password before any token is issued (exit 3)', async () => {
    const { code, err } = await provision('not-the-password');
    expect(code).toBe(3);
    expect(err).toBe(`posbon-agent: terminal 127.0.0.1:${terminal.port} (LAN): AuthFailed: the terminal rejected the username or password`);
    expect(await issued()).toEqual([{ n: 0 }]);
    expect(terminal.httpHost()).toBeUndefined();
  });

  it('points the terminal at the webhook, whose ingress then stores what it pushes', async () => {
    const { code, stdout, err } = await provision();
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expect(JSON.parse(stdout)).toEqual({
      schoolId: 'school-a',
      device: 'gw-1',
      vendor: 'hikvision',
      model: TERMINAL.model,
      serialNumber: TERMINAL.serialNumber,
      pushesTo: `${ingress.base}/webhook/school-a/in/<token>`,
      rotated: false,
    });
    expect(stdout).not.toMatch(/pdt_/);
    expect(terminal.httpHost()).toEqual({
      id: '1',
      url: expect.stringMatching(/^\/webhook\/school-a\/in\/pdt_[A-Za-z0-9_-]+$/),
      protocolType: 'HTTP',
      parameterFormatType: 'JSON',
      addressingFormatType: 'hostname',
      hostName: '127.0.0.1',
      portNo: String(ingress.port),
      httpAuthenticationMethod: 'none',
    });
    expect(await terminal.push(hikvisionEventJson({ serialNo: 7, employeeNoString: 'p7' }))).toBe(200);
    expect(await stored()).toEqual([{ n: 1 }]);
    // Each answered Digest challenge (the wrong password of the first test never got through).
    expect(terminal.requests.filter((r) => r.authenticated).map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /ISAPI/System/deviceInfo',
      'PUT /ISAPI/Event/notification/httpHosts/1',
      'GET /ISAPI/Event/notification/httpHosts/1',
    ]);
  });

  it('rotates the token when run again, and the terminal pushes with the new one', async () => {
    const before = terminal.httpHost()!.url;
    const { code, stdout } = await provision();
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ rotated: true });
    expect(terminal.httpHost()!.url).not.toBe(before);
    expect(await terminal.push(hikvisionEventJson({ serialNo: 8, employeeNoString: 'p8' }))).toBe(200);
    expect(await stored()).toEqual([{ n: 2 }]);
    expect(await issued()).toEqual([{ n: 2 }]);
  });
});
