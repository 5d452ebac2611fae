// The README's first command: `npm start` on the embedded default (its own PostgreSQL, the example fleet), run as a
// process the way a newcomer runs it, with a data folder other users cannot enter (as a mktemp folder is).
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { base32Decode, totpCode, totpStep } from '../../api/admin/identity/totp.js';
import { eventually, freePort, GiveUp, spawnService, type Service } from '../harness/index.js';

const run = promisify(execFile);
let service: Service;
let dataDir: string;
let apiPort: number;
let pgPort: number;
/** Where the embedded PostgreSQL put its data (printed in the banner), removed after the run. */
let pgData: string | undefined;

const environment = () => {
  const env: NodeJS.ProcessEnv = { ...process.env, POSBON_DATA_DIR: dataDir, POSBON_API_PORT: String(apiPort), POSBON_EMBEDDED_PG_PORT: String(pgPort) };
  for (const name of ['DATABASE_URL', 'KUBECONFIG', 'NODE_ENV', 'POSBON_GIT_REPO', 'POSBON_SECRET_SEALING_KEY']) delete env[name];
  return env;
};

const start = async () => {
  const env = environment();
  service = await spawnService('npm-start', process.execPath, ['--import', 'tsx', join(process.cwd(), 'api/admin/start.ts')], { env });
  return eventually(async () => {
    const logs = await service.logs();
    if (service.exited()) throw new GiveUp(`npm start exited:\n${logs.slice(-2000)}`);
    if (!logs.includes('MediaMTX configs rendered to')) throw new Error('not up yet');
    pgData = /data in (\S+)/.exec(logs)?.[1];
    return logs;
  }, 120_000, 250);
};

const loginAs = (password: string, secret: string, stepOffset = 0) =>
  fetch(`http://127.0.0.1:${apiPort}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password, totp: totpCode(base32Decode(secret), totpStep(new Date()) + stepOffset) }),
  });

/** The admin's credential after `npm run admin -- reset-password admin`. */
let reset: { password: string; secret: string } | undefined;

const postgresOf = async () => (await run('pgrep', ['-f', `postgres -D .* -p ${pgPort} `]).catch(() => ({ stdout: '' }))).stdout.trim();

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'posbon-start-'));
  [apiPort, pgPort] = [await freePort(), await freePort()];
}, 10_000);

afterAll(async () => {
  await service?.stop();
  await rm(dataDir, { recursive: true, force: true });
  if (pgData?.startsWith('/var/lib/posbon/')) await rm(dirname(pgData), { recursive: true, force: true });
});

describe('npm start', () => {
  it('serves the API over its own PostgreSQL, lists the example schools to the bootstrap admin, and stops cleanly', async () => {
    const banner = await start();
    const base = `http://127.0.0.1:${apiPort}`;
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ ok: true, fleetSynced: true });
    const password = /password {2}(\S+)/.exec(banner)?.[1];
    const secret = /secret=([A-Z2-7]+)/.exec(banner)?.[1];
    expect({ password: !!password, secret: !!secret }).toEqual({ password: true, secret: true });
    const login = await loginAs(password!, secret!);
    expect(login.status).toBe(200);
    const first = (await login.json()) as { accessToken: string };
    // A generated password opens nothing but its own replacement.
    expect((await fetch(`${base}/schools`, { headers: { authorization: `Bearer ${first.accessToken}` } })).status).toBe(403);
    const changed = await fetch(`${base}/auth/password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${first.accessToken}` },
      body: JSON.stringify({ currentPassword: password, newPassword: 'a-passphrase-of-my-own' }),
    });
    expect(changed.status).toBe(200);
    const { accessToken } = (await changed.json()) as { accessToken: string };
    const schools = (await (await fetch(`${base}/schools`, { headers: { authorization: `Bearer ${accessToken}` } })).json()) as { items: { id: string }[] };
    expect(schools.items.map((s) => s.id)).toEqual(['school-17', 'school-42']);

    expect(await postgresOf()).not.toBe('');
    await service.stop();
    await eventually(async () => expect(await postgresOf()).toBe(''), 30_000, 250);
  });

  it('resets the admin with npm run admin -- reset-password on the embedded database, while the API is down', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', join(process.cwd(), 'api/admin/cli/main.ts'), 'reset-password', 'admin'], { env: environment() });
    reset = { password: /password {2}(\S+)/.exec(stdout)![1]!, secret: /secret=([A-Z2-7]+)/.exec(stdout)![1]! };
    expect(await postgresOf()).toBe('');
  });

  it('starts again on the same data, with no second bootstrap admin, and the reset credential logs in', async () => {
    const banner = await start();
    expect(banner).not.toContain('Bootstrap admin');
    expect((await loginAs(reset!.password, reset!.secret)).status).toBe(200);
    expect(await (await fetch(`http://127.0.0.1:${apiPort}/healthz`)).json()).toEqual({ ok: true, fleetSynced: true });
    await service.stop();
    await eventually(async () => expect(await postgresOf()).toBe(''), 30_000, 250);
  });
});
