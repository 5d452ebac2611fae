// The agent's local page in Debian's chromium against real parts. The page's server runs as the agent's own process
// on a school PC inside a test LAN behind a real NAT router (network namespaces; the scan suite's devices: an NVR
// with the ONVIF simulator and an ffmpeg RTSP camera, a Hikvision ISAPI terminal, a ZKTeco and a Dahua device, a
// closed host; the router's UPnP IGD from the simulator), and Chromium runs in the same namespace, so the page is
// reached at its own 127.0.0.1 with the launch token, the Host and Origin checks as strict as ever. The admin
// pairs, scans, picks the NVR, reads its cameras, forwards the ports the page names on the router, tests the
// mapping from the media node's real probe, submits (the proposal lands in a real Gitea), sets up a Dahua terminal
// whose first push reaches the real webhook ingress, and runs diagnostics; in three languages. Without the launch
// token, from a foreign Origin or under a foreign Host name, every request is refused.
import { request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { parse, stringify } from 'yaml';
import { credentialsNameKey, MemoryCredentialsStore } from '../api/admin/proposals/credentials-store.js';
import { GiteaHost } from '../gitops/hosts/gitea.js';
import { renderProbeAllowlist } from '../lib/probe-protocol/render-allowlist.js';
import type { Fleet } from '../operator/core/fleet.js';
import { eventually, startRtspCamera, testDatabase, type RtspCamera, type Service, type TestHost, testAddressOctet } from '../test/harness/index.js';
import { startGitea, type Gitea } from '../test/harness/gitea.js';
import { createTestLan, type TestLan } from '../test/harness/lan.js';
import { inEveryLanguage, launchChromium, PageGuard } from '../test/console/browser.js';
import { startProbeSidecar } from '../test/fixtures/probe-sidecar.js';
import { startDahuaTerminal, type DahuaTerminal } from '../test/sim/faceid-terminals.js';
import { spawnOnvifSimulator } from '../test/sim/onvif.js';
import { dahuaData } from '../test/webhook/fixtures.js';
import { startTestIngress, type TestIngress } from '../test/webhook/ingress.js';
import { call, createAccount, faceIdDevice, login, node, school, startTestApi, type TestApi } from '../test/api/fixture.js';
import { startLocalPage, type LocalPage } from './page/server.js';

const TSX = join(process.cwd(), 'node_modules/.bin/tsx');
const octet = testAddressOctet();
const net = `10.76.${octet}`;
const wan = `198.51.100.${octet}`;
const keys = { tokenHashKey: randomBytes(32), sealingKey: randomBytes(32) };
const PROBE_TOKEN = randomBytes(24).toString('hex');
const TICKET_KEY = randomBytes(32);
const DAHUA = { username: 'admin', password: `Door-${randomBytes(4).toString('hex')}`, serialNumber: 'DH-0002', model: 'ASI7213X' };
const services: Service[] = [];
let lan: TestLan;
let nvrHost: TestHost;
let camera: RtspCamera;
let gitea: Gitea;
let fleetRepo: { owner: string; repo: string };
let ingress: TestIngress;
let api: TestApi;
let terminal: DahuaTerminal;
let localPage: LocalPage;
let lanPageUrl: string;
let browser: Browser;

const gitHost = (role: 'admin' | 'bot') => GiteaHost.create({ url: gitea.url, ...fleetRepo, token: gitea.users[role].token });

async function serviceOn(host: TestHost, name: string, [script, ...args]: string[], env: Record<string, string>, ready: RegExp): Promise<RegExpExecArray> {
  const service = await host.spawn(name, TSX, [join(process.cwd(), script!), ...args], { env: { ...process.env, ...env } });
  services.push(service);
  return eventually(async () => {
    const logs = await service.logs();
    if (service.exited()) throw new Error(`${name} exited:\n${logs}`);
    return ready.exec(logs) ?? Promise.reject(new Error(`${name} not ready`));
  }, 120_000, 200);
}

const responder = (host: TestHost, options: Record<string, string>) =>
  serviceOn(host, `${options.kind}-responder`, ['test/sim/lan-responder-cli.ts'], { POSBON_LAN_RESPONDER: JSON.stringify({ ...options, host: host.ip }) }, /responder on/);

beforeAll(async () => {
  // Gitea first: its port is picked before it binds, so it starts before this file opens any other connection.
  gitea = await startGitea(process.env.POSBON_TEST_PG_URL!);
  fleetRepo = await gitea.createRepository('fleet');
  lan = await createTestLan('page', net, 24, { router: { wan } });
  const router = lan.router!;
  nvrHost = await lan.addHost('page-nvr', 11);
  camera = await startRtspCamera({ on: nvrHost, port: 554, path: 'live' });
  services.push(
    await spawnOnvifSimulator(nvrHost, {
      port: 80,
      username: camera.username,
      password: camera.password,
      discovery: true,
      device: { manufacturer: 'HIKVISION', model: 'DS-7608NI', firmwareVersion: 'V4.1', serialNumber: 'DS7608-0042', hardwareId: '88' },
      sources: [{ token: 'VideoSource_1', name: 'Main gate', profiles: [{ token: 'Profile_101', name: 'mainStream', encoding: 'H264', width: 640, height: 360, streamUri: `rtsp://${nvrHost.ip}:554/live` }] }],
    }),
  );
  await responder(await lan.addHost('page-isapi', 13), { kind: 'isapi', username: 'admin', password: 'x', serial: 'DS-K1T671-2024', model: 'DS-K1T671' });
  await responder(await lan.addHost('page-zk', 14), { kind: 'zkteco' });
  await responder(await lan.addHost('page-dahua', 15), { kind: 'dahua', serial: '5J0ABCD123' });
  await lan.addHost('page-closed', 16);
  await serviceOn(router, 'router-sim', ['test/sim/router-cli.ts'], { POSBON_ROUTER_SIM: JSON.stringify({ lan: router.lan, wan, upnp: true, natPmp: true }) }, /router on/);

  const fleet: Fleet = {
    nodes: [node('node-a', 'r1', '198.51.100.1')],
    schools: [school('school-a', 'r1', 'node-a'), school('school-b', 'r1', 'node-a')],
    nvrs: [],
    faceIdDevices: [faceIdDevice('dh-2', 'school-a', 'dahua', 'DH-0002', 'in')],
  };
  const probe = await startProbeSidecar({ node: 'node-a', allowlist: renderProbeAllowlist('node-a', []), credentials: {}, token: PROBE_TOKEN, ticketKey: TICKET_KEY });
  services.push(probe.service);
  await gitHost('admin').commitFiles({
    branch: 'main',
    message: 'The fleet',
    files: [
      { path: 'clusters/dev/media-nodes/node-a.yaml', content: stringify(fleet.nodes[0]) },
      { path: 'clusters/dev/schools/school-a/school.yaml', content: stringify(fleet.schools[0]) },
      { path: 'clusters/dev/schools/school-b/school.yaml', content: stringify(fleet.schools[1]) },
    ],
  });
  const databaseUrl = await testDatabase('agent_page');
  ingress = await startTestIngress(databaseUrl, { keys });
  api = await startTestApi({
    databaseUrl,
    host: router.upstream,
    fleet,
    webhook: { publicUrl: ingress.base, keys: { tokenHashKey: keys.tokenHashKey } },
    probe: { urlFor: () => probe.url, token: async () => PROBE_TOKEN, ticketKey: TICKET_KEY },
    connectionTestRate: { perMinute: 60, burst: 30 },
    proposals: {
      host: gitHost('bot'),
      credentials: MemoryCredentialsStore.create({ nameKey: credentialsNameKey(randomBytes(32)) }),
      env: 'dev',
      bot: gitea.users.bot.login,
      authorDomain: 'posbon.test',
    },
  });
  // The terminal sits upstream of the router, where the school PC reaches it through the NAT as it reaches the API.
  terminal = await startDahuaTerminal({ ...DAHUA, host: router.upstream });
  const credentials = join(await mkdtemp(join(tmpdir(), 'posbon-page-')), 'agent.json');
  const printed = await serviceOn(lan.pc, 'agent-page', ['agent/cli/bin.ts', 'page', '--no-open'], { POSBON_AGENT_CREDENTIALS: credentials }, /the page is at (\S+)/);
  lanPageUrl = printed[1]!;
  localPage = await startLocalPage({ credentials: join(await mkdtemp(join(tmpdir(), 'posbon-page-')), 'agent.json') });
  browser = await launchChromium({ netns: lan.pc.netns });
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await localPage?.close();
  await terminal?.stop();
  await api?.close();
  await ingress?.close();
  await gitea?.stop();
  for (const s of services.reverse()) await s.stop();
  await camera?.stop();
  await lan?.destroy();
});

/** A raw request, so that Host and Origin can be anything a hostile page or a rebinding name would send. */
function raw(path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: localPage.port, path, headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const text = (p: Page, selector: string) => p.$eval(selector, (el) => el.textContent ?? '');
const settled = (p: Page, selector: string, timeout = 120_000) => p.waitForFunction(`document.querySelector(${JSON.stringify(selector)}).dataset.state !== undefined`, { timeout });
const state = (p: Page, selector: string) => p.$eval(selector, (el) => el.getAttribute('data-state'));

describe('the local page', () => {
  it('refuses a request without the launch token, from a foreign origin, or under another host name', async () => {
    const token = new URL(localPage.url).searchParams.get('t')!;
    const own = `127.0.0.1:${localPage.port}`;
    expect((await raw(`/?t=${token}`, { host: own })).status).toBe(200);
    expect(await raw('/', { host: own })).toEqual({ status: 403, body: JSON.stringify({ error: 'refused: open the address the agent printed (with its launch token)' }) });
    expect((await raw('/api/status', { host: own, 'x-posbon-launch': 'guess' })).status).toBe(403);
    expect(await raw('/api/status', { host: own, 'x-posbon-launch': token, origin: 'https://evil.example' })).toEqual({ status: 403, body: JSON.stringify({ error: 'refused: foreign origin' }) });
    expect((await raw('/api/status', { host: own, 'x-posbon-launch': token, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect(await raw(`/?t=${token}`, { host: `rebound.example:${localPage.port}` })).toEqual({ status: 403, body: JSON.stringify({ error: 'refused: foreign host' }) });
    expect((await raw('/api/status', { host: own, 'x-posbon-launch': token })).status).toBe(200);
  });

  it('walks a school admin on the school LAN through pairing, the scan, cameras, the router, the media node\'s test, submit, a FaceID terminal and diagnostics', async () => {
    const router = lan.router!;
    const tab = await (await browser.createBrowserContext()).newPage();
    const guard = await PageGuard.attach(tab);
    await tab.goto(lanPageUrl);
    await tab.waitForSelector('#pair-form');
    expect(await tab.evaluate('location.href')).toBe(`${new URL(lanPageUrl).origin}/`);

    const headings: Record<string, string[]> = {};
    for (const lang of ['ru', 'en', 'uz'] as const) {
      await tab.select('#lang', lang);
      headings[lang] = await tab.$$eval('h2', (els) => els.map((el) => el.textContent ?? ''));
    }
    expect(headings).toEqual({
      ru: ['1. Подключение', '2. Сканирование сети', '3. Выберите устройства', '4. Учётные данные и камеры', '5. Настройка роутера', '6. Проверка с медиаузла', '7. Отправка', '8. Терминал FaceID', '9. Диагностика'],
      en: ['1. Pair', '2. Scan the network', '3. Pick devices', '4. Credentials and cameras', '5. Router settings', '6. Test from the media node', '7. Submit', '8. FaceID terminal', '9. Diagnostics'],
      uz: ['1. Ulash', '2. Tarmoqni skanerlash', '3. Qurilmalarni tanlang', '4. Login va kameralar', '5. Router sozlamalari', '6. Media tugunidan tekshirish', '7. Yuborish', '8. FaceID terminali', '9. Tashxis'],
    });

    // Pair with the console's link; the API is upstream of the school's router.
    const head = (await login(api, await createAccount(api, 'head-a', 'SCHOOL_ADMIN', ['school-a']))).accessToken;
    const { code } = (await call(api, 'POST', '/schools/school-a/agent-pairing-codes', { token: head })).body as { code: string };
    await tab.type('#pair-link', `posbon://pair?api=${encodeURIComponent(api.url)}&code=${code}`);
    await tab.click('#pair-form button');
    await tab.waitForFunction(`document.querySelector('#paired').textContent.includes('(node-a)')`);
    expect(await text(tab, '#paired')).toBe('school-a (node-a)');

    // The scan of the PC's /24, its progress shown to the end, and each device with vendor, model and ports.
    await tab.click('#scan-do');
    await settled(tab, '#scan-result', 300_000);
    expect(await text(tab, '#scan-result')).toBe('4 / 253');
    const progress = await tab.$eval('#scan-progress', (el) => [(el as unknown as { value: number }).value, (el as unknown as { max: number }).max]);
    expect(progress[0]).toBe(progress[1]);
    expect(await text(tab, '#scan-status')).toBe(`fingerprints ${progress[1]}/${progress[1]}`);
    const rows = await tab.$$eval('#devices tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(1).map((td) => td.textContent ?? '')));
    expect(rows).toEqual([
      [`${net}.11`, 'onvif', 'camera-or-nvr', 'DS-7608NI', '', 'rtsp 554, http 80, onvif 80'],
      [`${net}.13`, 'hikvision', 'faceid', 'DS-K1T671', '', 'http 80'],
      [`${net}.14`, 'zkteco', 'faceid', '', '', 'http 80'],
      [`${net}.15`, 'dahua', 'unknown', '', '5J0ABCD123', 'http 80'],
    ]);

    // Pick the NVR and read its cameras over ONVIF on the LAN.
    await tab.click(`#devices input[value="${nvrHost.ip}"]`);
    await tab.type('#c-user', camera.username);
    await tab.type('#c-password', camera.password);
    await tab.click('#cameras-do');
    await settled(tab, '#cameras-result');
    expect(await text(tab, '#cameras-result')).toBe('HIKVISION DS-7608NI DS7608-0042');
    expect(await tab.$$eval('#cameras li', (lis) => lis.map((li) => li.textContent))).toEqual(['videosource-1 Main gate /live H264 640x360']);

    // The router guidance, and the media node's test before and after the admin forwards what it names.
    await tab.click('#guidance-do');
    await tab.waitForFunction(`document.querySelector('#allow').textContent !== ''`);
    const forwards = await text(tab, '#forwards');
    expect(forwards).toBe(`554/TCP → ${nvrHost.ip}:554 (rtsp)\n8080/TCP → ${nvrHost.ip}:80 (onvif)`);
    expect(await text(tab, '#allow')).toBe('198.51.100.1');
    expect(await tab.$eval('#public-host', (el) => (el as unknown as { value: string }).value)).toBe(wan);
    await tab.click('#test-do');
    await settled(tab, '#test-result');
    expect([await state(tab, '#test-result'), await text(tab, '#test-result')]).toEqual(['failed', expect.stringMatching(/^rtsp: Refused\b[^;]*$/)]);
    for (const [, publicPort, lanHost, lanPort] of forwards.matchAll(/^(\d+)\/TCP → ([\d.]+):(\d+)/gm)) await router.forward(Number(publicPort), lanHost!, Number(lanPort));
    await tab.$eval('#test-result', (el) => el.removeAttribute('data-state'));
    await tab.click('#test-do');
    await settled(tab, '#test-result');
    expect([await state(tab, '#test-result'), await text(tab, '#test-result')]).toEqual(['ok', 'rtsp: Ok (reachable); onvif: Ok (reachable)']);

    // Submit: the page links the proposal, which is in the fleet repository with no password in it.
    await tab.type('#nvr-name', 'gate');
    await tab.click('#submit-form button');
    await settled(tab, '#proposal');
    const link = await tab.$eval('#proposal a', (a) => ({ text: a.textContent, href: a.getAttribute('href') }));
    const number = Number(link.text!.slice(1));
    const pr = await gitHost('admin').getPullRequest(number);
    expect([await text(tab, '#proposal'), link.href]).toEqual([`#${number} ${pr.head.ref} — node-a: Main gate`, pr.url]);
    const file = await gitHost('admin').readFile(pr.head.ref, 'clusters/dev/schools/school-a/nvrs/gate.yaml');
    const nvr = parse(file!) as { metadata: { name: string }; spec: Record<string, unknown> };
    expect(nvr.metadata.name).toBe('school-a-gate');
    expect(nvr.spec).toEqual({
      schoolRef: 'school-a',
      vendor: 'hikvision',
      publicHost: wan,
      publicRtspPort: 554,
      publicOnvifPort: 8080,
      onvifSync: true,
      connectivity: 'public',
      cameras: [{ id: 'videosource-1', name: 'Main gate', rtspPath: '/live', stream: 'main', enabled: true }],
      lan: { localIp: nvrHost.ip, serial: 'DS7608-0042', model: 'DS-7608NI' },
      credentialsSecretRef: { name: expect.any(String) },
    });
    expect(file).not.toContain(camera.password);
    // The node tested the mapping three times (refused once, then RTSP and ONVIF); submit spent no fourth probe.
    const root = (await login(api, await createAccount(api, 'root', 'SUPER_ADMIN'))).accessToken;
    const audit = (await call(api, 'GET', '/audit?schoolId=school-a&limit=50', { token: root })).body.items as { actorType: string; action: string; result: string }[];
    expect(audit.filter((e) => e.actorType === 'agent' && /^(nvr|proposal)\./.test(e.action)).map((e) => [e.action, e.result])).toEqual([
      ['proposal.Nvr.create', 'ok'],
      ['nvr.test-proposed', 'Ok'],
      ['nvr.test-proposed', 'Ok'],
      ['nvr.test-proposed', 'Refused'],
    ]);

    // A Dahua terminal set up from the page; its first push reaches the webhook ingress.
    await tab.select('#p-vendor', 'dahua');
    await tab.type('#p-device', 'dh-2');
    await tab.type('#p-host', router.upstream);
    await tab.$eval('#p-port', (el, port) => ((el as unknown as { value: string }).value = port), String(terminal.port));
    await tab.type('#p-user', DAHUA.username);
    await tab.type('#p-password', DAHUA.password);
    await tab.click('#provision-form button');
    await eventually(() => (terminal.config.get('EventHttpUpload.Enable') === 'true' ? true : Promise.reject(new Error('not set yet'))), 60_000);
    expect(await terminal.push([dahuaData({ userId: '2002', recNo: 5 })])).toBe(200);
    await tab.waitForFunction(`document.querySelector('#provision-result').textContent.startsWith('Birinchi hodisa: ')`, { timeout: 60_000 });

    // Diagnostics: the router's WAN address from its IGD is the address the API sees.
    await tab.click('#diagnose-do');
    await settled(tab, '#diagnose-result');
    expect(await text(tab, '#diagnose-result')).toMatch(new RegExp(`^Soat farqi \\(s\\): -?[01]; ${net.replace(/\./g, '\\.')}\\.0/24; Routerdan keyin NAT yo‘q: portlarni yo‘naltirish ishlaydi$`));
    const shown = JSON.parse(await text(tab, '#diagnose-report'));
    expect(shown).toMatchObject({
      schoolId: 'school-a',
      lan: { defaultGateway: true, gatewayAddress: router.lan },
      publicAddress: { seenByApi: wan, guess: 'public', routerWan: { address: wan, via: 'upnp-igd' }, nat: 'no-nat-beyond-router' },
      mediaNode: { name: 'node-a' },
    });
    const summary = () => tab.$$eval('#diagnose-summary dt, #diagnose-summary dd', (els) => els.map((el) => el.textContent ?? ''));
    const [, pcAddress] = (await summary()).slice(0, 2);
    expect(await summary()).toEqual([
      'Tarmoq interfeyslari', pcAddress, 'Shlyuz', router.lan, 'DNS', expect.any(String), 'API ko‘rgan manzil', wan,
      'Routerning WAN manzili', `${wan} (upnp-igd)`, 'Media tugun', 'node-a', 'NVRlar', expect.any(String), 'Kameralar', expect.any(String),
    ]);
    expect(pcAddress).toContain(`${net}.`);

    // Results already shown follow a change of language, not only the labels.
    await tab.select('#lang', 'en');
    expect(await text(tab, '#provision-result')).toMatch(/^First event: \d{4}-/);
    expect(await text(tab, '#diagnose-result')).toMatch(new RegExp(`^Clock skew \\(s\\): -?[01]; ${net.replace(/\./g, '\\.')}\\.0/24; No NAT beyond the router: port forwarding will work$`));
    expect((await summary()).filter((_, i) => i % 2 === 0)).toEqual(['Network interfaces', 'Gateway', 'DNS', 'Address the API sees', 'Router WAN address', 'Media node', 'NVRs', 'Cameras']);
    await tab.select('#lang', 'uz');

    const uploaded = await tab.$eval('#diagnose-report', (el) => el.getAttribute('data-uploaded'));
    const listed = await call(api, 'GET', '/schools/school-a/diagnostics', { token: head });
    expect(listed.body.items.map((r: { id: string }) => r.id)).toEqual([uploaded]);
    await inEveryLanguage(tab, guard, 'agent-page');
  });
});
