// The README's first command: `npm start` on the embedded default (its own PostgreSQL, the example fleet), run as a
// process the way a newcomer runs it, with a data folder other users cannot enter (as a mktemp folder is). Both
// times the admin logs in to the console in Debian's chromium and school-17's camera plays.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { base32Decode, totpCode, totpStep } from '../../api/admin/identity/totp.js';
import { eventually, freePort, freePortRange, GiveUp, spawnService, type Service } from '../harness/index.js';
import { frameChecksum, launchChromium, PageGuard, waitPlaying } from '../console/browser.js';

const run = promisify(execFile);
let service: Service;
let dataDir: string;
let apiPort: number;
let pgPort: number;
/** Where the embedded PostgreSQL put its data (printed in the banner), removed after the run. */
let pgData: string | undefined;
let mediaBase: number;
let password: string;
let secret: string;
/** TOTP codes are accepted once each: every login takes a step after the last one used. */
let lastStep = 0;

async function nextCode(): Promise<string> {
  for (;;) {
    const now = totpStep(new Date());
    const step = Math.max(now, lastStep + 1);
    if (step <= now + 1) {
      lastStep = step;
      return totpCode(base32Decode(secret), step);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/**
 * The newcomer's path: open the printed URL, log in with the code, replace a generated password where the console
 * asks for it, watch the example camera move.
 */
async function watchInConsole(newPassword?: string): Promise<void> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const guard = await PageGuard.attach(page);
    await page.goto(`http://127.0.0.1:${apiPort}/`);
    await page.waitForSelector('input[name=username]');
    await page.type('input[name=username]', 'admin');
    await page.type('input[name=password]', password);
    await page.type('input[name=totp]', await nextCode());
    await page.click('button[type=submit]');
    if (newPassword) {
      await page.waitForSelector('input[name=newPassword]');
      await page.type('input[name=currentPassword]', password);
      await page.type('input[name=newPassword]', newPassword);
      await page.type('input[name=repeatPassword]', newPassword);
      await page.click('form button[type=submit]');
      password = newPassword;
    }
    await page.waitForSelector('nav a');
    await page.evaluate(`location.hash = '#/live?cams=school-17.school-17-entrance.gate'`);
    const tile = 'figure[data-camera="school-17.school-17-entrance.gate"]';
    await waitPlaying(page, tile, 60_000);
    const first = await frameChecksum(page, `${tile} video`);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await frameChecksum(page, `${tile} video`)).not.toBe(first);
    expect(guard.take()).toEqual([]);
  } finally {
    await browser.close();
  }
}

const environment = () => {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    POSBON_DATA_DIR: dataDir,
    POSBON_API_PORT: String(apiPort),
    POSBON_EMBEDDED_PG_PORT: String(pgPort),
    POSBON_LOCAL_MEDIA_PORT: String(mediaBase),
  };
  for (const name of ['DATABASE_URL', 'KUBECONFIG', 'NODE_ENV', 'POSBON_GIT_REPO', 'POSBON_SECRET_SEALING_KEY']) delete env[name];
  return env;
};

const start = async () => {
  const env = environment();
  service = await spawnService('npm-start', process.execPath, ['--import', 'tsx', join(process.cwd(), 'api/admin/start.ts')], { env });
  return eventually(async () => {
    const logs = await service.logs();
    if (service.exited()) throw new GiveUp(`npm start exited:\n${logs.slice(-2000)}`);
    if (!logs.includes('example camera')) throw new Error('not up yet');
    pgData = /data in (\S+)/.exec(logs)?.[1];
    return logs;
  }, 120_000, 250);
};

const loginWithCode = async () =>
  fetch(`http://127.0.0.1:${apiPort}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password, totp: await nextCode() }),
  });

/** A generated password opens nothing but its own replacement; the admin replaces it and keeps the new one. */
async function changeGeneratedPassword(accessToken: string, next: string): Promise<string> {
  const base = `http://127.0.0.1:${apiPort}`;
  expect((await fetch(`${base}/schools`, { headers: { authorization: `Bearer ${accessToken}` } })).status).toBe(403);
  const changed = await fetch(`${base}/auth/password`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
    body: JSON.stringify({ currentPassword: password, newPassword: next }),
  });
  expect(changed.status).toBe(200);
  password = next;
  return ((await changed.json()) as { accessToken: string }).accessToken;
}

/** The admin's credential after `npm run admin -- reset-password admin`. */
let reset: { password: string; secret: string } | undefined;

const postgresOf = async () => (await run('pgrep', ['-f', `postgres -D .* -p ${pgPort} `]).catch(() => ({ stdout: '' }))).stdout.trim();
/** The live view's processes: MediaMTX and the camera's RTSP server read configs in the data folder, ffmpeg publishes to the camera's port. */
const mediaOf = async () => {
  const pids = async (pattern: string) => (await run('pgrep', ['-f', pattern]).catch(() => ({ stdout: '' }))).stdout.trim().split('\n').filter(Boolean);
  return [...(await pids(`${dataDir}/media/`)), ...(await pids(`^ffmpeg .*127\\.0\\.0\\.1:${mediaBase + 9}/`))];
};

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'posbon-start-'));
  [apiPort, pgPort] = [await freePort(), await freePort()];
  // Twenty free ports for the two example media nodes and the camera.
  mediaBase = await freePortRange(20);
}, 10_000);

afterAll(async () => {
  await service?.stop();
  await rm(dataDir, { recursive: true, force: true });
  if (pgData?.startsWith('/var/lib/posbon/')) await rm(dirname(pgData), { recursive: true, force: true });
});

describe('npm start', () => {
  it('serves the console over its own PostgreSQL: the bootstrap admin logs in, replaces the generated password, watches, and it stops cleanly', async () => {
    const banner = await start();
    const base = `http://127.0.0.1:${apiPort}`;
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ ok: true, fleetSynced: true });
    password = /password {2}(\S+)/.exec(banner)?.[1] ?? '';
    secret = /secret=([A-Z2-7]+)/.exec(banner)?.[1] ?? '';
    expect({ password: !!password, secret: !!secret }).toEqual({ password: true, secret: true });
    await watchInConsole('a-passphrase-of-my-own');
    const login = await loginWithCode();
    expect(login.status).toBe(200);
    const { accessToken } = (await login.json()) as { accessToken: string };
    const schools = (await (await fetch(`${base}/schools`, { headers: { authorization: `Bearer ${accessToken}` } })).json()) as { items: { id: string }[] };
    expect(schools.items.map((s) => s.id)).toEqual(['school-17', 'school-42']);

    expect(await postgresOf()).not.toBe('');
    expect(await mediaOf()).toHaveLength(4);
    await service.stop();
    await eventually(async () => expect(await postgresOf()).toBe(''), 30_000, 250);
    expect(await mediaOf()).toEqual([]);
  });

  it('resets the admin with npm run admin -- reset-password on the embedded database, while the API is down', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', join(process.cwd(), 'api/admin/cli/main.ts'), 'reset-password', 'admin'], { env: environment() });
    reset = { password: /password {2}(\S+)/.exec(stdout)![1]!, secret: /secret=([A-Z2-7]+)/.exec(stdout)![1]! };
    expect(await postgresOf()).toBe('');
  });

  it('starts again on the same data, with no second bootstrap admin, and the reset credential logs in, changes its password and watches', async () => {
    const banner = await start();
    expect(banner).not.toContain('Bootstrap admin');
    [password, secret, lastStep] = [reset!.password, reset!.secret, 0];
    const login = await loginWithCode();
    expect(login.status).toBe(200);
    await changeGeneratedPassword(((await login.json()) as { accessToken: string }).accessToken, 'another-passphrase-of-mine');
    expect(await (await fetch(`http://127.0.0.1:${apiPort}/healthz`)).json()).toEqual({ ok: true, fleetSynced: true });
    await watchInConsole();
    await service.stop();
    await eventually(async () => expect(await postgresOf()).toBe(''), 30_000, 250);
    expect(await mediaOf()).toEqual([]);
  });
});
