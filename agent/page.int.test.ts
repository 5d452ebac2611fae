// The agent's local page in Debian's chromium against the real API and webhook ingress: pair with the console's
// link, see the school and its media node, the scan's honest refusal on a machine off any LAN, the router's
// allowlist, a Dahua terminal set up and its first push seen, diagnostics; in three languages. Without the launch
// token, from a foreign Origin or under a foreign Host name, every request is refused.
import { request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { eventually, testDatabase } from '../test/harness/index.js';
import { launchChromium, PageGuard } from '../test/console/browser.js';
import { startDahuaTerminal, type DahuaTerminal } from '../test/sim/faceid-terminals.js';
import { dahuaData } from '../test/webhook/fixtures.js';
import { startTestIngress, type TestIngress } from '../test/webhook/ingress.js';
import { call, createAccount, faceIdDevice, login, startTestApi, twoSchoolFleet, type TestApi } from '../test/api/fixture.js';
import { startLocalPage, type LocalPage } from './page/server.js';

const keys = { tokenHashKey: randomBytes(32), sealingKey: randomBytes(32) };
const DAHUA = { username: 'admin', password: `Door-${randomBytes(4).toString('hex')}`, serialNumber: 'DH-0002', model: 'ASI7213X' };
let ingress: TestIngress;
let api: TestApi;
let terminal: DahuaTerminal;
let page: LocalPage;
let browser: Browser;

beforeAll(async () => {
  const databaseUrl = await testDatabase('agent_page');
  ingress = await startTestIngress(databaseUrl, { keys });
  const fleet = { ...twoSchoolFleet(), faceIdDevices: [faceIdDevice('dh-2', 'school-a', 'dahua', 'DH-0002', 'in')] };
  api = await startTestApi({ databaseUrl, webhook: { publicUrl: ingress.base, keys: { tokenHashKey: keys.tokenHashKey } }, fleet });
  terminal = await startDahuaTerminal(DAHUA);
  page = await startLocalPage({ credentials: join(await mkdtemp(join(tmpdir(), 'posbon-page-')), 'agent.json') });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await page?.close();
  await terminal?.stop();
  await api?.close();
  await ingress?.close();
});

/** A raw request, so that Host and Origin can be anything a hostile page or a rebinding name would send. */
function raw(path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: page.port, path, headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const text = (p: Page, selector: string) => p.$eval(selector, (el) => el.textContent ?? '');

describe('the local page', () => {
  it('refuses a request without the launch token, from a foreign origin, or under another host name', async () => {
    const token = new URL(page.url).searchParams.get('t')!;
    const own = `127.0.0.1:${page.port}`;
    expect((await raw(`/?t=${token}`, { host: own })).status).toBe(200);
    expect(await raw('/', { host: own })).toEqual({ status: 403, body: JSON.stringify({ error: 'refused: open the address the agent printed (with its launch token)' }) });
    expect((await raw('/api/status', { host: own, 'x-posbon-launch': 'guess' })).status).toBe(403);
    expect(await raw('/api/status', { host: own, 'x-posbon-launch': token, origin: 'https://evil.example' })).toEqual({ status: 403, body: JSON.stringify({ error: 'refused: foreign origin' }) });
    expect((await raw('/api/status', { host: own, 'x-posbon-launch': token, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect(await raw(`/?t=${token}`, { host: `rebound.example:${page.port}` })).toEqual({ status: 403, body: JSON.stringify({ error: 'refused: foreign host' }) });
    expect((await raw('/api/status', { host: own, 'x-posbon-launch': token })).status).toBe(200);
  });

  it('walks a school admin through pairing, the scan, the router, a FaceID terminal and diagnostics', async () => {
    const tab = await (await browser.createBrowserContext()).newPage();
    const guard = await PageGuard.attach(tab);
    await tab.goto(page.url);
    await tab.waitForSelector('#pair-form');
    expect(await tab.evaluate('location.href')).toBe(`http://127.0.0.1:${page.port}/`);

    const headings: Record<string, string> = {};
    for (const lang of ['ru', 'en', 'uz'] as const) {
      await tab.select('#lang', lang);
      headings[lang] = await text(tab, '#step-pair h2');
    }
    expect(headings).toEqual({ ru: '1. Подключение', en: '1. Pair', uz: '1. Ulash' });

    const head = (await login(api, await createAccount(api, 'head-a', 'SCHOOL_ADMIN', ['school-a']))).accessToken;
    const { code } = (await call(api, 'POST', '/schools/school-a/agent-pairing-codes', { token: head })).body as { code: string };
    await tab.type('#pair-link', `posbon://pair?api=${encodeURIComponent(api.url)}&code=${code}`);
    await tab.click('#pair-form button');
    await tab.waitForFunction(`document.querySelector('#paired').textContent.includes('(node-a)')`);
    expect(await text(tab, '#paired')).toBe('school-a (node-a)');

    // This machine is on no private LAN: the scan says so instead of scanning anything.
    await tab.click('#scan-do');
    await tab.waitForFunction(`document.querySelector('#scan-result').dataset.state === 'failed'`);
    expect(await text(tab, '#scan-result')).toBe('scan is off: no private IPv4 address on any interface: this machine is not on a school LAN');

    await tab.click('#guidance-do');
    await tab.waitForFunction(`document.querySelector('#allow').textContent !== ''`);
    expect(await text(tab, '#allow')).toBe('198.51.100.10');

    await tab.select('#p-vendor', 'dahua');
    await tab.type('#p-device', 'dh-2');
    await tab.type('#p-host', '127.0.0.1');
    await tab.$eval('#p-port', (el, port) => ((el as unknown as { value: string }).value = port), String(terminal.port));
    await tab.type('#p-user', DAHUA.username);
    await tab.type('#p-password', DAHUA.password);
    await tab.click('#provision-form button');
    await eventually(() => (terminal.config.get('EventHttpUpload.Enable') === 'true' ? true : Promise.reject(new Error('not set yet'))), 60_000);
    expect(await terminal.push([dahuaData({ userId: '2002', recNo: 5 })])).toBe(200);
    await tab.waitForFunction(`document.querySelector('#provision-result').textContent.startsWith('First event: ') || document.querySelector('#provision-result').textContent.startsWith('Birinchi hodisa: ')`, { timeout: 60_000 });

    await tab.click('#diagnose-do');
    await tab.waitForFunction(`document.querySelector('#diagnose-result').textContent !== ''`);
    expect(await text(tab, '#diagnose-result')).toMatch(/^Soat farqi \(s\): -?[01]; no private IPv4 address on any interface: this machine is not on a school LAN$/);
    const shown = JSON.parse(await text(tab, '#diagnose-report'));
    expect(shown).toMatchObject({ schoolId: 'school-a', publicAddress: { seenByApi: '127.0.0.1' }, mediaNode: { name: 'node-a' } });
    const uploaded = await tab.$eval('#diagnose-report', (el) => el.getAttribute('data-uploaded'));
    const listed = await call(api, 'GET', '/schools/school-a/diagnostics', { token: head });
    expect(listed.body.items.map((r: { id: string }) => r.id)).toEqual([uploaded]);
    expect(guard.take().filter((p) => !p.text.includes('/api/scan'))).toEqual([]);
  });
});
