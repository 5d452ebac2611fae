// The console in Debian's chromium: the bootstrap-style admin logs in with TOTP, watches school-17's camera over WHEP
// and over HLS (decoded frames change), visits every page in three languages (screenshots, axe); a VIEWER of
// school-17 sees nothing of school-42 and a forged address shows the API's refusal. Any console error, CSP
// violation or failed request fails the test.
import type { Browser, Page } from 'puppeteer-core';
import { createAccount, totpAt, type TestAccount } from '../api/fixture.js';
import { frameChecksum, inEveryLanguage, launchChromium, PageGuard, signIn, visit, waitPlaying } from './browser.js';
import { startConsoleBench, type ConsoleBench } from './fixture.js';

const CAMERA = 'school-17.school-17-entrance.gate';
/** Viewer tokens this short make the player renew them several times while a test watches. */
const VIEWER_TTL_S = 20;

let bench: ConsoleBench;
let browser: Browser;
let admin: TestAccount;
/** A second admin: a TOTP code is accepted once, and two logins may fall in one 30-second step. */
let admin2: TestAccount;
let viewer: TestAccount;

beforeAll(async () => {
  bench = await startConsoleBench({ viewerTtlSeconds: VIEWER_TTL_S });
  admin = await createAccount(bench.api, 'admin', 'SUPER_ADMIN');
  admin2 = await createAccount(bench.api, 'admin-2', 'SUPER_ADMIN');
  viewer = await createAccount(bench.api, 'guard-17', 'VIEWER', ['school-17']);
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await bench?.close();
});

const open = (account: TestAccount) => signIn(browser, bench.api, account);

async function expectMovingVideo(page: Page, via: 'WebRTC' | 'HLS'): Promise<void> {
  const tile = `figure[data-camera="${CAMERA}"]`;
  await waitPlaying(page, tile, 60_000);
  expect(await page.$eval(`${tile} [role=status]`, (el) => el.textContent)).toContain(via);
  const first = await frameChecksum(page, `${tile} video`);
  await new Promise((r) => setTimeout(r, 1000));
  const second = await frameChecksum(page, `${tile} video`);
  expect(second).not.toBe(first);
}

describe('the console in a real browser', () => {
  it('shows the login page without a refused request, in three languages', async () => {
    const page = await (await browser.createBrowserContext()).newPage();
    const guard = await PageGuard.attach(page);
    await page.goto(`${bench.api.url}/`);
    await page.waitForSelector('input[name=totp]');
    expect(await page.evaluate('document.documentElement.lang')).toBe('uz');
    await inEveryLanguage(page, guard, 'login');
    // The choice is kept: a reload comes back in English.
    await page.reload();
    await page.waitForSelector('input[name=totp]');
    expect(await page.evaluate('document.documentElement.lang')).toBe('en');
    await page.close();
  });

  it('logs the admin in with TOTP and plays school-17\'s camera over WHEP, then over HLS', async () => {
    const { page, guard } = await open(admin);
    await visit(page, '#/schools', 'table');
    expect(await page.$eval('main', (m) => m.textContent)).toContain('School No. 42');
    await inEveryLanguage(page, guard, 'schools');

    await visit(page, '#/schools/school-17', '.cameras');
    await inEveryLanguage(page, guard, 'school');

    await page.click(`a[data-camera="${CAMERA}"]`);
    await expectMovingVideo(page, 'WebRTC');
    await inEveryLanguage(page, guard, 'live-webrtc');

    await visit(page, `#/live?cams=${CAMERA}&via=hls`, 'figure');
    await expectMovingVideo(page, 'HLS');

    // Every segment request carries the viewer token: past its lifetime the picture still moves on renewed ones.
    const granted = async () => (await bench.api.services.audit.list({ action: 'stream.token', limit: 500 })).length;
    const before = await granted();
    await new Promise((r) => setTimeout(r, (VIEWER_TTL_S + 5) * 1000));
    await expectMovingVideo(page, 'HLS');
    expect(await granted()).toBeGreaterThan(before);
    expect({ problems: guard.take() }).toEqual({ problems: [] });
    await page.close();
  });

  it('opens every page the admin may reach, with the API\'s answers shown in words', async () => {
    const { page, guard } = await open(admin2);
    const menu = await page.$$eval('nav a', (links) => links.map((a) => a.getAttribute('href')));
    expect(menu).toEqual(['#/schools', '#/live', '#/proposals', '#/attendance', '#/audit', '#/agents', '#/accounts']);

    // The embedded default has no Git host: the proposals page shows the API's 503 as it came.
    guard.expect(503, '/proposals');
    await visit(page, '#/proposals', '[role=alert]');
    expect(await page.$eval('[role=alert]', (el) => el.textContent)).toContain('503');
    await inEveryLanguage(page, guard, 'proposals');
    guard.clearExpected();

    await visit(page, '#/attendance?school=school-17&day=2026-11-02', 'h2');
    await inEveryLanguage(page, guard, 'attendance');

    await visit(page, '#/audit', 'table');
    expect(await page.$$eval('tbody tr td:nth-child(4)', (cells) => cells.map((c) => c.textContent))).toContain('stream.token');
    await inEveryLanguage(page, guard, 'audit');

    await visit(page, '#/schools/school-17/agents', 'h1');
    await inEveryLanguage(page, guard, 'agents');

    await visit(page, '#/accounts', 'table');
    await page.type('form.row input', 'ops-1');
    await page.select('form.row select', 'STREAM_ADMIN');
    await page.click('form.row button[type=submit]');
    await page.waitForSelector('[data-secret=initial-password]');
    // The new holder enrols the second factor at first login: no QR for the administrator to see.
    expect(await page.$('.qr')).toBeNull();
    await inEveryLanguage(page, guard, 'accounts');
    await page.close();
  });

  it('makes a new school admin change the generated password, then enrol a second factor by QR, before any other page', async () => {
    const created = await bench.api.services.accounts.create({ username: 'head-17', role: 'SCHOOL_ADMIN', schools: ['school-17'], secondFactor: 'at-first-login' });
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    const guard = await PageGuard.attach(page);
    await page.goto(`${bench.api.url}/`);
    await page.waitForSelector('input[name=username]');
    await page.type('input[name=username]', 'head-17');
    await page.type('input[name=password]', created.initialPassword);
    await page.click('button[type=submit]');

    await page.waitForSelector('input[name=newPassword]');
    expect(await page.$$('nav a')).toHaveLength(0);
    await inEveryLanguage(page, guard, 'first-login-password');
    await page.type('input[name=currentPassword]', created.initialPassword);
    await page.type('input[name=newPassword]', 'gate-keeper-of-17');
    await page.type('input[name=repeatPassword]', 'gate-keeper-of-17');
    await page.click('form button[type=submit]');

    await page.waitForSelector('.qr svg');
    expect(await page.$$('nav a')).toHaveLength(0);
    const secret = await page.$eval('[data-secret=totp-secret]', (el) => el.textContent ?? '');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await inEveryLanguage(page, guard, 'first-login-totp');
    guard.expect(400, '/auth/totp/enrolment/confirm');
    await page.type('input[name=code]', '000000');
    await page.click('form button[type=submit]');
    await page.waitForSelector('[role=alert]');
    expect(await page.$eval('[role=alert]', (el) => el.textContent)).toContain('code: does not match');
    guard.clearExpected();
    await page.click('input[name=code]', { clickCount: 3 });
    await page.type('input[name=code]', totpAt(bench.api, secret));
    await page.click('form button[type=submit]');

    await page.waitForSelector('nav a');
    const menu = await page.$$eval('nav a', (links) => links.map((a) => a.getAttribute('href')));
    expect(menu).toEqual(['#/schools', '#/live', '#/proposals', '#/attendance', '#/audit', '#/agents']);
    await visit(page, '#/schools', 'table');
    expect(await page.$$eval('tbody tr', (rows) => rows.length)).toBe(1);
    expect(await bench.api.services.accounts.get(created.account.id)).toMatchObject({ mustChangePassword: false, totpEnrolled: true });
    expect({ problems: guard.take() }).toEqual({ problems: [] });
    await page.close();
  });

  it('shows a VIEWER of school-17 nothing of school-42, and the API\'s refusal on a forged address', async () => {
    const { page, guard } = await open(viewer);
    const menu = await page.$$eval('nav a', (links) => links.map((a) => a.getAttribute('href')));
    expect(menu).toEqual(['#/schools', '#/live']);
    const seen: string[] = [];
    for (const [hash, ready] of [
      ['#/schools', 'table'],
      ['#/schools/school-17', '.cameras'],
      [`#/live?cams=${CAMERA}`, 'figure'],
    ] as const) {
      await visit(page, hash, ready);
      seen.push(await page.content());
    }
    await waitPlaying(page, `figure[data-camera="${CAMERA}"]`, 60_000);
    for (const html of seen) {
      expect(html).not.toMatch(/school-42|No\. 42|fsn1-b/);
    }
    await inEveryLanguage(page, guard, 'viewer-live');

    guard.expect(403, '/schools/school-42');
    await visit(page, '#/schools/school-42', '[role=alert]');
    expect(await page.$eval('[role=alert]', (el) => el.textContent)).toMatch(/403.*school school-42 is outside this account's scope/);
    // The request id the page shows leads to the API's log line of that refusal.
    const requestId = await page.$eval('[role=alert] code', (el) => el.textContent);
    const logged = bench.api.logLines().map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.requestId === requestId);
    expect(logged).toMatchObject({ level: 'info', message: 'request refused', method: 'GET', path: '/schools/school-42', status: 403 });
    await inEveryLanguage(page, guard, 'viewer-forged');

    guard.expect(403, '/cameras/school-42.school-42-yard.yard/stream');
    await visit(page, '#/live?cams=school-42.school-42-yard.yard', 'figure[data-state=failed]');
    expect(await page.$eval('figure [role=status]', (el) => el.textContent)).toContain('outside this account');
    expect({ problems: guard.take() }).toEqual({ problems: [] });
    await page.close();
  });
});
