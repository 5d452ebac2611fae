// The agent provisions Dahua and ZKTeco terminals and waits until the first push has reached the real webhook
// ingress: Dahua over its HTTP API (our simulator, Digest auth), ZKTeco by the exact values an installer enters on
// the terminal (the simulator is set with them, as a person would), each push seen through the API's last-event time.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { eventually, testDatabase } from '../test/harness/index.js';
import { startDahuaTerminal, zktecoTerminal, type DahuaTerminal } from '../test/sim/faceid-terminals.js';
import { dahuaData } from '../test/webhook/fixtures.js';
import { startTestIngress, type TestIngress } from '../test/webhook/ingress.js';
import { call, createAccount, faceIdDevice, login, startTestApi, twoSchoolFleet, type TestApi } from '../test/api/fixture.js';

const keys = { tokenHashKey: randomBytes(32), sealingKey: randomBytes(32) };
const DAHUA = { username: 'admin', password: `Door-${randomBytes(4).toString('hex')}`, serialNumber: 'DH-0001', model: 'ASI7213X-T1' };
let ingress: TestIngress;
let api: TestApi;
let dahua: DahuaTerminal;
let agentToken: string;

beforeAll(async () => {
  const databaseUrl = await testDatabase('provision_vendors');
  ingress = await startTestIngress(databaseUrl, { keys });
  const fleet = { ...twoSchoolFleet(), faceIdDevices: [faceIdDevice('dh-1', 'school-a', 'dahua', 'DH-0001'), faceIdDevice('zk-1', 'school-a', 'zkteco', 'CKJ0001')] };
  api = await startTestApi({ databaseUrl, webhook: { publicUrl: ingress.base, keys: { tokenHashKey: keys.tokenHashKey } }, fleet });
  const head = (await login(api, await createAccount(api, 'head-a', 'SCHOOL_ADMIN', ['school-a']))).accessToken;
  agentToken = (await call(api, 'POST', '/schools/school-a/agent-tokens', { token: head, body: { label: 'door PC' } })).body.token;
  dahua = await startDahuaTerminal(DAHUA);
});

afterAll(async () => {
  await dahua?.stop();
  await api?.close();
  await ingress?.close();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The agent CLI as its own process; `running` lets a test act while it waits. */
function agent(args: string[], password = DAHUA.password): { done: Promise<Run>; stderr: () => string } {
  const env = { ...process.env, POSBON_API_URL: api.url, POSBON_AGENT_TOKEN: agentToken, POSBON_NVR_PASSWORD: password };
  const child = spawn(join(process.cwd(), 'node_modules/.bin/tsx'), [join(process.cwd(), 'agent/cli/bin.ts'), 'provision-faceid', '--school', 'school-a', '--json', ...args], { env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return { done: new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr }))), stderr: () => stderr };
}

describe('provisioning Dahua and ZKTeco terminals', () => {
  it('refuses a wrong Dahua password before anything is set (exit 3)', async () => {
    const { done } = agent(['--device', 'dh-1', '--faceid-vendor', 'dahua', '--lan-host', '127.0.0.1', '--lan-port', String(dahua.port), '--username', 'admin'], 'wrong');
    const run = await done;
    expect([run.code, run.stderr]).toEqual([3, `posbon-agent: terminal 127.0.0.1:${dahua.port} (LAN): AuthFailed: the terminal rejected the username or password\n`]);
    expect(dahua.config.size).toBe(0);
  });

  it('sets a Dahua terminal\'s event upload over its HTTP API and sees its first push arrive', async () => {
    const running = agent(['--device', 'dh-1', '--faceid-vendor', 'dahua', '--lan-host', '127.0.0.1', '--lan-port', String(dahua.port), '--username', 'admin', '--wait-s', '60']);
    await eventually(() => running.stderr().includes('waiting for the terminal') || Promise.reject(new Error('not waiting yet')), 60_000);
    expect(await dahua.push([dahuaData({ userId: '2001', recNo: 1 })])).toBe(200);
    const run = await running.done;
    expect([run.code, run.stderr]).toEqual([0, 'posbon-agent: waiting for the terminal\'s first push to reach the webhook…\n']);
    expect(JSON.parse(run.stdout)).toEqual({
      schoolId: 'school-a',
      device: 'dh-1',
      vendor: 'dahua',
      serialNumber: 'DH-0001',
      model: 'ASI7213X-T1',
      pushesTo: `${ingress.base}/dahua/school-a/<token>`,
      // The ingress fixture issued dh-1 a token of its own already: the agent's is a rotation.
      rotated: true,
      firstPushAt: expect.any(String),
    });
    expect(run.stdout).not.toMatch(/pdt_/);
    expect(Object.fromEntries(dahua.config)).toEqual({
      'EventHttpUpload.Enable': 'true',
      'EventHttpUpload.UploadServerList[0].Address': '127.0.0.1',
      'EventHttpUpload.UploadServerList[0].Port': String(ingress.port),
      'EventHttpUpload.UploadServerList[0].Uploadpath': expect.stringMatching(/^\/dahua\/school-a\/pdt_[A-Za-z0-9_-]+$/),
      'EventHttpUpload.UploadServerList[0].HttpsEnable': 'false',
    });
    expect(dahua.requests.filter((r) => r.authenticated).map((r) => r.path)).toEqual([
      '/cgi-bin/magicBox.cgi?action=getSerialNo',
      '/cgi-bin/magicBox.cgi?action=getDeviceType',
      '/cgi-bin/configManager.cgi?action=setConfig',
      '/cgi-bin/configManager.cgi?action=getConfig',
    ]);
  });

  it('gives a ZKTeco terminal\'s exact cloud-server values, and sees its first ADMS push arrive once they are entered', async () => {
    const steps = await agent(['--device', 'zk-1', '--faceid-vendor', 'zkteco']).done;
    expect(steps.code).toBe(0);
    const outcome = JSON.parse(steps.stdout);
    expect(outcome).toEqual({
      schoolId: 'school-a',
      device: 'zk-1',
      vendor: 'zkteco',
      pushesTo: `${ingress.base}/`,
      rotated: false,
      manualSteps: [
        { setting: 'COMM. → Cloud Server Setting → Server Mode', value: 'ADMS' },
        { setting: 'Enable Domain Name', value: 'OFF' },
        { setting: 'Server Address', value: '127.0.0.1' },
        { setting: 'Server Port', value: String(ingress.port) },
        { setting: 'HTTPS', value: 'OFF' },
        { setting: 'Enable Proxy Server', value: 'OFF' },
      ],
    });

    const value = (setting: string) => (outcome.manualSteps as { setting: string; value: string }[]).find((s) => s.setting === setting)!.value;
    const terminal = zktecoTerminal('CKJ0001');
    terminal.configure({ address: value('Server Address'), port: Number(value('Server Port')), https: value('HTTPS') === 'ON' });

    const running = agent(['--device', 'zk-1', '--faceid-vendor', 'zkteco', '--wait-s', '60']);
    await eventually(() => running.stderr().includes('waiting for the terminal') || Promise.reject(new Error('not waiting yet')), 60_000);
    expect(await terminal.push([{ pin: '3001', time: '2026-11-29 08:01:02' }])).toEqual({ options: 200, attlog: 200, answer: 'OK: 1' });
    const run = await running.done;
    expect([run.code, JSON.parse(run.stdout).firstPushAt]).toEqual([0, expect.any(String)]);
  });

  it('says so (exit 3) when no push arrives in time', async () => {
    const run = await agent(['--device', 'zk-1', '--faceid-vendor', 'zkteco', '--wait-s', '3']).done;
    expect([run.code, run.stderr.split('\n')[1]]).toEqual([3, `posbon-agent: no push from zk-1 reached the webhook within 3 s: check the terminal's settings and that it reaches ${ingress.base}/`]);
  });
});
