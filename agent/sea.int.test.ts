// The agent as one file: the single executable, built here, copied alone into an empty folder and run from there
// with a bare environment (no repository, no node_modules, no tsx): it pairs with a school admin's code against
// the real API, reports its school, and scans a LAN of network-namespace hosts.
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { testAddressOctet, type Service } from '../test/harness/index.js';
import { createTestLan, type TestLan } from '../test/harness/lan.js';
import { call, createAccount, login, startTestApi, type TestApi } from '../test/api/fixture.js';
import { buildAgent } from './build/build.js';

const run = promisify(execFile);
const net = `10.76.${testAddressOctet()}`;

let api: TestApi;
let lan: TestLan;
let isapi: Service;
let folder: string;
let executable: string;

beforeAll(async () => {
  const artefacts = await buildAgent({ out: await mkdtemp(join(tmpdir(), 'posbon-agent-build-')), sea: true });
  folder = await mkdtemp(join(tmpdir(), 'posbon-agent-clean-'));
  executable = join(folder, 'posbon-agent');
  await copyFile(artefacts.executable!, executable);
  await run('chmod', ['755', executable]);
  api = await startTestApi();
  lan = await createTestLan('sea', net);
  const host = await lan.addHost('sea-isapi', 13);
  isapi = await host.spawn('isapi', join(process.cwd(), 'node_modules/.bin/tsx'), [join(process.cwd(), 'test/sim/lan-responder-cli.ts')], {
    env: { ...process.env, POSBON_LAN_RESPONDER: JSON.stringify({ kind: 'isapi', host: host.ip, serial: 'S1', model: 'DS-K1T671', username: 'admin', password: 'x' }) },
  });
}, 180_000);

afterAll(async () => {
  await isapi?.stop();
  await lan?.destroy();
  await api?.close();
});

/** The executable from the clean folder, with nothing of this process's environment but PATH. */
async function agent(args: string[], netns?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: folder, POSBON_AGENT_CREDENTIALS: join(folder, 'agent.json') };
  const [command, argv] = netns ? ['ip', ['netns', 'exec', netns, executable, ...args]] : [executable, args];
  try {
    const { stdout, stderr } = await run(command, argv, { cwd: folder, env, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('the single executable', () => {
  it('starts alone in a clean folder, pairs, reports its school and scans the LAN', async () => {
    expect(await readdir(folder)).toEqual(['posbon-agent']);
    const head = (await login(api, await createAccount(api, 'head-a', 'SCHOOL_ADMIN', ['school-a']))).accessToken;
    const { code } = (await call(api, 'POST', '/schools/school-a/agent-pairing-codes', { token: head })).body as { code: string };

    const paired = await agent(['pair', '--link', `posbon://pair?api=${encodeURIComponent(api.url)}&code=${code}`, '--label', 'school PC', '--json']);
    expect([paired.code, paired.stderr, JSON.parse(paired.stdout)]).toEqual([0, '', { schoolId: 'school-a', agentId: expect.any(String), path: join(folder, 'agent.json') }]);
    expect((await stat(join(folder, 'agent.json'))).mode & 0o777).toBe(0o600);

    const status = await agent(['status', '--json']);
    expect([status.code, JSON.parse(status.stdout)]).toEqual([0, { apiUrl: api.url, schoolId: 'school-a', mediaNode: 'node-a', allowlistIPs: ['198.51.100.10'] }]);

    const scan = await agent(['scan', '--json', '--no-discovery'], lan.pc.netns);
    expect(scan.code).toBe(0);
    expect(JSON.parse(scan.stdout)).toMatchObject({
      subnets: [`${net}.0/24`],
      complete: true,
      devices: [{ ip: `${net}.13`, vendor: 'hikvision', kind: 'faceid', model: 'DS-K1T671', httpPort: 80 }],
    });
  });
});
