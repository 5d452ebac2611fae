// The proposals page in Debian's chromium against a real Gitea: a reviewer with a fleet-wide role opens a proposal
// and reads the rendered MediaMTX diff, credentials redacted; the school's own admin sees which configs change and
// where to read the rest, never the diff whose context lines show other schools.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { credentialsNameKey, MemoryCredentialsStore } from '../../api/admin/proposals/credentials-store.js';
import { ensureConsole } from '../../api/console/build.js';
import { CONSOLE_DIST } from '../../api/console/static.js';
import { readFleetTree } from '../../gitops/fleet-repo/tree.js';
import { GiteaHost } from '../../gitops/hosts/gitea.js';
import { call, createAccount, login, startTestApi, type TestAccount, type TestApi } from '../api/fixture.js';
import { startGitea, type Gitea } from '../harness/gitea.js';
import { inEveryLanguage, launchChromium, signIn, visit } from './browser.js';

let gitea: Gitea;
let api: TestApi;
let browser: Browser;
let head: TestAccount;
let root: TestAccount;
let number: number;
const nvrPassword = `pw-${randomBytes(9).toString('hex')}`;

beforeAll(async () => {
  await ensureConsole(() => undefined);
  gitea = await startGitea(process.env.POSBON_TEST_PG_URL!);
  const repo = await gitea.createRepository('fleet');
  const host = (role: 'admin' | 'bot') => GiteaHost.create({ url: gitea.url, ...repo, token: gitea.users[role].token });
  const example = await readFleetTree(join(process.cwd(), 'gitops/example'));
  await host('admin').commitFiles({ branch: 'main', message: 'Example fleet', files: [...example.files].map(([path, content]) => ({ path, content })) });
  api = await startTestApi({
    http: { consoleDir: CONSOLE_DIST },
    proposals: {
      host: host('bot'),
      credentials: MemoryCredentialsStore.create({ nameKey: credentialsNameKey(randomBytes(32)) }),
      env: 'dev',
      bot: gitea.users.bot.login,
      authorDomain: 'posbon.test',
    },
  });
  head = await createAccount(api, 'head-17', 'SCHOOL_ADMIN', ['school-17']);
  root = await createAccount(api, 'root', 'SUPER_ADMIN');
  const proposed = await call(api, 'POST', '/schools/school-17/nvrs', {
    token: (await login(api, head)).accessToken,
    body: {
      name: 'school-17-gate',
      vendor: 'hikvision',
      publicHost: 'gate.nvr17.schools.example.org',
      cameras: [{ id: 'gate', name: 'Gate', channel: 1 }],
      credentials: { username: 'viewer', password: nvrPassword },
    },
  });
  expect(proposed.status).toBe(202);
  number = proposed.body.proposal.number as number;
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await api?.close();
  await gitea?.stop();
});

describe('a proposal in the console', () => {
  it('shows a fleet-wide reviewer the rendered MediaMTX diff, credentials redacted', async () => {
    const { page, guard } = await signIn(browser, api, root);
    await visit(page, '#/proposals', `#pr-${number}`);
    await page.click(`section[aria-labelledby="pr-${number}"] details summary`);
    await page.waitForSelector('pre.diff');
    const files = await page.$$eval('details table tbody tr td:first-child', (cells) => cells.map((c) => c.textContent));
    expect(files).toEqual(['mediamtx-fsn1-a.yml', 'placements.yaml']);
    const added = await page.$$eval('pre.diff .add', (lines) => lines.map((l) => l.textContent?.trimEnd()));
    expect(added).toContain('+  school-17/school-17-gate/gate:');
    expect(added).toContain('+    source: rtsp://REDACTED:REDACTED@gate.nvr17.schools.example.org:554/Streaming/Channels/101');
    expect(await page.content()).not.toContain(nvrPassword);
    await inEveryLanguage(page, guard, 'proposal-diff');
    await page.close();
  });

  it('shows the school\'s own admin which configs change and where to read the rest, without the diff', async () => {
    const signed = await createAccount(api, 'head-17b', 'SCHOOL_ADMIN', ['school-17']);
    const { page, guard } = await signIn(browser, api, signed);
    await visit(page, '#/proposals', `#pr-${number}`);
    await page.click(`section[aria-labelledby="pr-${number}"] details summary`);
    await page.waitForSelector('details table');
    expect(await page.$$eval('details table tbody tr td:first-child', (cells) => cells.map((c) => c.textContent))).toEqual(['mediamtx-fsn1-a.yml', 'placements.yaml']);
    expect(await page.$('pre.diff')).toBeNull();
    expect(await page.$eval('details p.muted', (el) => el.textContent)).toBeTruthy();
    await inEveryLanguage(page, guard, 'proposal-stat');
    await page.close();
  });
});
