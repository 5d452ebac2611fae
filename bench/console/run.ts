// The console's figures: time from clicking a camera to its first decoded frame, with MediaMTX starting the RTSP
// pull on demand each time (WHEP and HLS, 30 plays each), the first load's size, and time to interactive.
import { firstLoad, ensureConsole } from '../../api/console/build.js';
import { createDatabase, startPostgres } from '../../test/harness/index.js';
import { createAccount, totpAt } from '../../test/api/fixture.js';
import { launchChromium } from '../../test/console/browser.js';
import { startConsoleBench } from '../../test/console/fixture.js';

const PLAYS = Number(process.env.BENCH_PLAYS ?? 30);
const CAMERA = 'school-17.school-17-entrance.gate';
/** The HLS muxer, then the pull, close this long after the last viewer leaves; each play waits past both, so every play starts cold. */
const CLOSE_AFTER_S = 3;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const ms = (v: number) => `${v.toFixed(0)} ms`;

await ensureConsole();
const postgres = await startPostgres();
const bench = await startConsoleBench({ databaseUrl: await createDatabase(postgres.url, 'bench'), onDemandCloseAfter: `${CLOSE_AFTER_S}s` });
const browser = await launchChromium();
try {
  const load = await firstLoad();
  const admin = await createAccount(bench.api, 'admin', 'SUPER_ADMIN');
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });

  const tti: number[] = [];
  for (let i = 0; i < 5; i++) {
    const fresh = await (await browser.createBrowserContext()).newPage();
    await fresh.goto(`${bench.api.url}/`);
    await fresh.waitForSelector('input[name=username]');
    tti.push((await fresh.evaluate('performance.now()')) as number);
    await fresh.close();
  }

  await page.goto(`${bench.api.url}/`);
  await page.waitForSelector('input[name=username]');
  await page.type('input[name=username]', admin.username);
  await page.type('input[name=password]', admin.password);
  await page.type('input[name=totp]', totpAt(bench.api, admin.totpSecret!));
  await page.click('button[type=submit]');
  await page.waitForSelector('nav');

  const play = async (via: 'webrtc' | 'hls'): Promise<number> => {
    await page.evaluate(`location.hash = '#/schools/school-17'`);
    await page.waitForSelector(`a[data-camera="${CAMERA}"]`);
    await new Promise((r) => setTimeout(r, (2 * CLOSE_AFTER_S + 1.5) * 1000));
    // The click: the Watch link, in the transport under test.
    return (await page.evaluate(`(async () => {
      const link = document.querySelector('a[data-camera="${CAMERA}"]');
      link.setAttribute('href', '#/live?cams=${CAMERA}&via=${via}');
      const t0 = performance.now();
      link.click();
      let video;
      while (!(video = document.querySelector('figure[data-camera="${CAMERA}"] video'))) await new Promise((r) => setTimeout(r, 5));
      await new Promise((resolve, reject) => {
        const fail = setInterval(() => {
          if (document.querySelector('figure[data-state=failed]')) { clearInterval(fail); reject(new Error(document.querySelector('figure [role=status]').textContent)); }
        }, 50);
        video.requestVideoFrameCallback(() => { clearInterval(fail); resolve(); });
      });
      return performance.now() - t0;
    })()`)) as number;
  };

  const results: Record<string, number[]> = { webrtc: [], hls: [] };
  for (const via of ['webrtc', 'hls'] as const) {
    for (let i = 0; i < PLAYS; i++) results[via]!.push(await play(via));
  }

  console.log(`\nconsole benchmark (Debian chromium ${await browser.version()}, example camera 640x360 H.264 15 fps, pull started on demand each play)`);
  console.log(`  first load            ${(load.gzipped / 1024).toFixed(1)} kB gzipped (${load.files.map((f) => f.file).join(', ')})`);
  console.log(`  time to interactive   p50 ${ms(percentile(tti, 50))}  max ${ms(Math.max(...tti))} (login form usable, fresh profile, loopback)`);
  for (const via of ['webrtc', 'hls'] as const) {
    const v = results[via]!;
    console.log(`  click → first frame   ${via.padEnd(6)} p50 ${ms(percentile(v, 50))}  p95 ${ms(percentile(v, 95))}  min ${ms(Math.min(...v))}  max ${ms(Math.max(...v))}  (${v.length} plays)`);
  }
} finally {
  await browser.close();
  await bench.close();
  await postgres.stop();
}
