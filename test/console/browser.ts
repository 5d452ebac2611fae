// Debian's chromium driven by puppeteer-core, with a guard that records every console error, CSP violation, page
// error and failed or refused request: a tested page must produce none except the refusals a test expects.
import { chmod, mkdtemp, readFile, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { totpAt, type TestAccount, type TestApi } from '../api/fixture.js';

export const CHROMIUM = process.env.POSBON_CHROMIUM ?? '/usr/bin/chromium';
/** Screenshots go here (git-ignored), one per page and language. */
export const ARTIFACTS = join(import.meta.dirname, '..', '..', 'artifacts', 'console');

/**
 * `netns`: Chromium runs inside that network namespace (`ip netns exec`), so its 127.0.0.1 is the namespace's own;
 * DevTools then speaks over a pipe, since the browser's debugging port would be in the namespace too.
 */
export async function launchChromium(options: { netns?: string } = {}): Promise<Browser> {
  let executablePath = CHROMIUM;
  if (options.netns) {
    executablePath = join(await mkdtemp(join(tmpdir(), 'posbon-chromium-')), 'chromium');
    await writeFile(executablePath, `#!/bin/sh\nexec ip netns exec ${options.netns} ${CHROMIUM} "$@"\n`);
    await chmod(executablePath, 0o755);
  }
  return puppeteer.launch({
    executablePath,
    ...(options.netns ? { pipe: true } : {}),
    headless: true,
    // Root in a container has no user namespace for the sandbox; autoplay as a viewer's click would allow it.
    args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required', '--disable-gpu', '--use-fake-ui-for-media-stream'],
  });
}

export interface Problem {
  kind: 'console' | 'pageerror' | 'requestfailed' | 'response' | 'csp';
  text: string;
}

export class PageGuard {
  readonly problems: Problem[] = [];
  /** Refusals a step provokes on purpose (a forged URL): `METHOD status path-prefix`. */
  private expected: { status: number; path: string }[] = [];

  private constructor(readonly page: Page) {}

  static async attach(page: Page): Promise<PageGuard> {
    const guard = new PageGuard(page);
    // A string: the test's TypeScript has no DOM types, the page has.
    await page.evaluateOnNewDocument(
      "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));",
    );
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const text = msg.text();
      // Chrome echoes every refused response as a console line; those are judged by their response below.
      if (/^Failed to load resource: the server responded with a status of \d+/.test(text) && guard.isExpected(msg.location().url ?? '')) return;
      guard.problems.push({ kind: text.startsWith('CSP violation') ? 'csp' : 'console', text: `${text} @ ${msg.location().url ?? ''}` });
    });
    page.on('pageerror', (error) => guard.problems.push({ kind: 'pageerror', text: String(error) }));
    page.on('requestfailed', (req) => {
      const reason = req.failure()?.errorText ?? '';
      // A player being closed aborts its own requests; that is not a failure of the page.
      if (reason === 'net::ERR_ABORTED') return;
      guard.problems.push({ kind: 'requestfailed', text: `${req.method()} ${req.url()} ${reason}` });
    });
    page.on('response', (res) => {
      if (res.status() < 400) return;
      if (guard.isExpected(res.url(), res.status())) return;
      guard.problems.push({ kind: 'response', text: `${res.request().method()} ${res.url()} ${res.status()}` });
    });
    return guard;
  }

  private isExpected(url: string, status?: number): boolean {
    const path = url ? new URL(url).pathname : '';
    return this.expected.some((e) => path.startsWith(e.path) && (status === undefined || status === e.status));
  }

  expect(status: number, path: string): void {
    this.expected.push({ status, path });
  }

  clearExpected(): void {
    this.expected = [];
  }

  take(): Problem[] {
    return this.problems.splice(0);
  }
}

const axeSource = async () => readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical violations on the current page; evaluated over DevTools, so the CSP stays whole. */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(await axeSource());
  const result = (await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const r = await axe.run();
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) }));
  })) as { id: string; impact: string; targets: string[] }[];
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}) ${v.targets.join(', ')}`);
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** A checksum of the frame a video element shows now, drawn through a canvas. */
export async function frameChecksum(page: Page, selector: string): Promise<number> {
  return (await page.evaluate(`(() => {
    const v = document.querySelector(${JSON.stringify(selector)});
    const canvas = document.createElement('canvas');
    canvas.width = v.videoWidth;
    canvas.height = v.videoHeight;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(v, 0, 0);
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let sum = 0;
    for (let i = 0; i < data.length; i += 7) sum = (sum * 31 + data[i]) >>> 0;
    return sum;
  })()`)) as number;
}

/** Waits for the video to reach `playing` and to have decoded a frame. */
export async function waitPlaying(page: Page, tile: string, timeout = 30_000): Promise<void> {
  await page.waitForFunction(
    `(() => {
      const fig = document.querySelector(${JSON.stringify(tile)});
      const v = fig && fig.querySelector('video');
      return !!fig && fig.getAttribute('data-state') === 'playing' && !!v && v.videoWidth > 0 && !v.paused;
    })()`,
    { timeout, polling: 100 },
  );
}

const LANGUAGES = ['uz', 'ru', 'en'] as const;

/** A fresh browser context signed in as the account, on the page the console opens first. */
export async function signIn(browser: Browser, api: TestApi, account: TestAccount): Promise<{ page: Page; guard: PageGuard }> {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const guard = await PageGuard.attach(page);
  await page.goto(`${api.url}/`);
  await page.waitForSelector('input[name=username]');
  await page.type('input[name=username]', account.username);
  await page.type('input[name=password]', account.password);
  if (account.totpSecret) await page.type('input[name=totp]', totpAt(api, account.totpSecret));
  await page.click('button[type=submit]');
  await page.waitForSelector('nav');
  return { page, guard };
}

export async function visit(page: Page, hash: string, ready: string): Promise<void> {
  await page.evaluate(`location.hash = ${JSON.stringify(hash)}`);
  await page.waitForSelector(ready, { timeout: 30_000 });
  await page.waitForFunction(`!document.querySelector('[aria-busy=true]')`, { timeout: 30_000 });
}

export async function setLanguage(page: Page, lang: string): Promise<void> {
  await page.select('header select', lang);
  await page.waitForFunction(`document.documentElement.lang === ${JSON.stringify(lang)}`);
}

/** Screenshots and axe in every language; the page must stay free of problems throughout. */
export async function inEveryLanguage(page: Page, guard: PageGuard, name: string): Promise<void> {
  for (const lang of LANGUAGES) {
    await setLanguage(page, lang);
    await screenshot(page, `${name}-${lang}`);
    expect({ page: name, lang, serious: await seriousViolations(page) }).toEqual({ page: name, lang, serious: [] });
  }
  expect({ page: name, problems: guard.take() }).toEqual({ page: name, problems: [] });
}
