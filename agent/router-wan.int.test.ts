// The NAT guess of the diagnostics against a school LAN behind a real NAT router (a network namespace masquerading
// the LAN to its WAN address) whose UPnP IGD and NAT-PMP answers come from the simulator built from the specs: the
// agent's `diagnose --json` runs on the school PC and compares the router's WAN address with the address the real
// API sees.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { eventually, GiveUp, testAddressOctet, type Service } from '../test/harness/index.js';
import { createTestLan, type TestLan } from '../test/harness/lan.js';
import type { RouterSimOptions } from '../test/sim/router.js';
import { call, createAccount, login, startTestApi, type TestApi } from '../test/api/fixture.js';
import { natVerdict } from './diagnose/report.js';

const run = promisify(execFile);
const TSX = join(process.cwd(), 'node_modules/.bin/tsx');
const octet = testAddressOctet();
const net = `10.79.${octet}`;
const wan = `198.51.100.${octet}`;

let lan: TestLan;
let api: TestApi;
let agentToken: string;

beforeAll(async () => {
  lan = await createTestLan('wan', net, 24, { router: { wan } });
  api = await startTestApi({ host: lan.router!.upstream });
  const head = (await login(api, await createAccount(api, 'wan-head-a', 'SCHOOL_ADMIN', ['school-a']))).accessToken;
  agentToken = (await call(api, 'POST', '/schools/school-a/agent-tokens', { token: head, body: { label: 'office PC' } })).body.token as string;
}, 120_000);

afterAll(async () => {
  await api?.close();
  await lan?.destroy();
});

async function withRouter<T>(options: Omit<RouterSimOptions, 'lan'> | undefined, body: () => Promise<T>): Promise<T> {
  let sim: Service | undefined;
  try {
    if (options) {
      sim = await lan.router!.spawn('router-sim', TSX, [join(process.cwd(), 'test/sim/router-cli.ts')], {
        env: { ...process.env, POSBON_ROUTER_SIM: JSON.stringify({ ...options, lan: lan.router!.lan }) },
      });
      const started = sim;
      const ready = `router on ${lan.router!.lan}`;
      await eventually(async () => {
        const logs = await started.logs();
        if (started.exited()) throw new GiveUp(`the router simulator exited:\n${logs}`);
        if (!logs.includes(ready)) throw new Error(`the router simulator did not say "${ready}":\n${logs}`);
      }, 60_000);
    }
    return await body();
  } finally {
    await sim?.stop();
  }
}

/** `diagnose --json` on the school PC; the public address section of its report. */
async function diagnose(): Promise<unknown> {
  const env = { ...process.env, POSBON_API_URL: api.url, POSBON_AGENT_TOKEN: agentToken };
  const { stdout } = await run('ip', ['netns', 'exec', lan.pc.netns, TSX, join(process.cwd(), 'agent/cli/bin.ts'), 'diagnose', '--school', 'school-a', '--json'], { env, timeout: 120_000 });
  const { report } = JSON.parse(stdout) as { report: { publicAddress: unknown; lan: { gatewayAddress: string } } };
  expect(report.lan.gatewayAddress).toBe(lan.router!.lan);
  return report.publicAddress;
}

describe('the router\'s WAN address in diagnostics', () => {
  it('compares the WAN address with the address the API sees', () => {
    expect([
      natVerdict('203.0.113.5', '203.0.113.5'),
      natVerdict('::ffff:203.0.113.5', '203.0.113.5'),
      natVerdict('203.0.113.5', '100.64.0.9'),
      natVerdict('203.0.113.5', '192.168.1.2'),
      natVerdict('203.0.113.5', '198.51.100.7'),
      natVerdict('203.0.113.5', null),
    ]).toEqual(['no-nat-beyond-router', 'no-nat-beyond-router', 'cgnat', 'double-nat-or-cgnat', 'double-nat-or-cgnat', 'router-wan-unknown']);
  });

  it('sees no NAT beyond the router when the IGD reports the address the API sees', async () => {
    expect(await withRouter({ wan, upnp: true, natPmp: true }, diagnose)).toEqual({
      seenByApi: wan,
      guess: 'public',
      routerWan: { address: wan, via: 'upnp-igd' },
      nat: 'no-nat-beyond-router',
    });
  });

  it('says CGNAT when the router\'s WAN address is in 100.64.0.0/10, read over NAT-PMP when there is no IGD', async () => {
    expect(await withRouter({ wan: '100.64.23.7', upnp: false, natPmp: true }, diagnose)).toEqual({
      seenByApi: wan,
      guess: 'public',
      routerWan: { address: '100.64.23.7', via: 'nat-pmp' },
      nat: 'cgnat',
    });
  });

  it('guesses double NAT or CGNAT when the WAN address differs from the one the API sees', async () => {
    expect(await withRouter({ wan: '203.0.113.77', upnp: true, natPmp: false }, diagnose)).toEqual({
      seenByApi: wan,
      guess: 'public',
      routerWan: { address: '203.0.113.77', via: 'upnp-igd' },
      nat: 'double-nat-or-cgnat',
    });
  });

  it('says the WAN address is unknown, not an error, when the router speaks neither protocol', async () => {
    expect(await withRouter(undefined, diagnose)).toEqual({ seenByApi: wan, guess: 'public', routerWan: null, nat: 'router-wan-unknown' });
  });
});
