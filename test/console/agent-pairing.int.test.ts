// The console's pairing section in Debian's chromium: a school admin creates a code (shown once, with a QR), the
// agent pairs with it against the same API, the admin sees the paired agent and revokes it; the section reads in
// Uzbek, Russian and English, and the page has no console error, failed request or serious axe violation.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { ensureConsole } from '../../api/console/build.js';
import { CONSOLE_DIST } from '../../api/console/static.js';
import { pairAgent } from '../../agent/credentials.js';
import { call, createAccount, startTestApi, totpAt, type TestAccount, type TestApi } from '../api/fixture.js';
import { launchChromium, PageGuard, screenshot, seriousViolations } from './browser.js';

let api: TestApi;
let browser: Browser;
let admin: TestAccount;

beforeAll(async () => {
  await ensureConsole(() => undefined);
  api = await startTestApi({ http: { consoleDir: CONSOLE_DIST } });
  admin = await createAccount(api, 'head-a', 'SCHOOL_ADMIN', ['school-a']);
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await api?.close();
});

async function signIn(): Promise<{ page: Page; guard: PageGuard }> {
  const page = await (await browser.createBrowserContext()).newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const guard = await PageGuard.attach(page);
  await page.goto(`${api.url}/`);
  await page.waitForSelector('input[name=username]');
  await page.type('input[name=username]', admin.username);
  await page.type('input[name=password]', admin.password);
  await page.type('input[name=totp]', totpAt(api, admin.totpSecret!));
  await page.click('button[type=submit]');
  await page.waitForSelector('nav');
  return { page, guard };
}

const text = (page: Page, selector: string) => page.$eval(selector, (el) => el.textContent ?? '');

describe('console: pairing the LAN agent', () => {
  it('shows a code once with its QR, lists the agent that paired with it, and revokes it', async () => {
    const { page, guard } = await signIn();
    await page.evaluate(`location.hash = '#/schools/school-a/agents'`);
    await page.waitForSelector('button.pair');
    await page.waitForFunction(`!document.querySelector('[aria-busy=true]')`);
    await page.click('button.pair');
    await page.waitForSelector('output.pairing-code');
    const code = await page.$eval('output.pairing-code', (el) => el.getAttribute('data-code') ?? '');
    expect(code).toMatch(/^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$/);
    await page.waitForSelector('.pairing .qr svg');

    const texts: Record<string, string[]> = {};
    for (const lang of ['uz', 'ru', 'en'] as const) {
      await page.select('header select', lang);
      await page.waitForFunction(`document.documentElement.lang === ${JSON.stringify(lang)}`);
      texts[lang] = [await text(page, '#pairing-title'), await text(page, 'button.pair')];
      await screenshot(page, `agent-pairing-${lang}`);
      expect({ lang, serious: await seriousViolations(page) }).toEqual({ lang, serious: [] });
    }
    expect(texts).toEqual({
      uz: ['Agentni ulash', 'Ulash kodini yaratish'],
      ru: ['Подключение агента', 'Создать код подключения'],
      en: ['Pair the agent', 'Create a pairing code'],
    });

    const dir = await mkdtemp(join(tmpdir(), 'posbon-console-pair-'));
    const { agentId } = await pairAgent({ apiUrl: api.url, code, label: 'office PC', path: join(dir, 'agent.json') });
    await page.reload();
    await page.waitForSelector(`tr[data-agent="${agentId}"] button`);
    expect(await text(page, `tr[data-agent="${agentId}"] td`)).toBe('office PC');
    await page.click(`tr[data-agent="${agentId}"] button`);
    await page.waitForFunction(`!document.querySelector('tr[data-agent="${agentId}"] button')`);
    expect((await call(api, 'GET', '/schools/school-a/agents', {})).status).toBe(401);
    const rows = (await api.dataSource.query('SELECT revoked_reason FROM agent_family WHERE id = $1', [agentId])) as { revoked_reason: string }[];
    expect(rows).toEqual([{ revoked_reason: 'revoked-by-admin' }]);
    expect(guard.take()).toEqual([]);
  });
});
