// The first start in production over an empty database: the bootstrap SUPER_ADMIN's password and TOTP secret go
// to a 0600 file only, never to stdout or stderr (a pod's log pipeline), and the credential in the file works.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateViewerKeyJwk } from '../../api/admin/streams/viewer-keys.js';
import { base32Decode, totpCode, totpStep } from '../../api/admin/identity/totp.js';
import { eventually, freePort, GiveUp, spawnService, testDatabase, type Service } from '../harness/index.js';

let dir: string;
let env: NodeJS.ProcessEnv;
let port: number;
let service: Service | undefined;

const start = async () => {
  service = await spawnService('api-production', process.execPath, ['--import', 'tsx', join(process.cwd(), 'api/admin/start.ts')], { env });
  return eventually(async () => {
    const logs = await service!.logs();
    if (service!.exited()) throw new GiveUp(`the API exited:\n${logs.slice(-2000)}`);
    if (!logs.includes('MediaMTX configs rendered to')) throw new Error('not up yet');
    return logs;
  }, 120_000, 250);
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'posbon-bootstrap-'));
  port = await freePort();
  env = {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: await testDatabase('bootstrap'),
    POSBON_API_HOST: '127.0.0.1',
    POSBON_API_PORT: String(port),
    // Any free port: another process on this machine may hold 9464.
    POSBON_API_METRICS_PORT: '0',
    POSBON_ACCESS_TOKEN_SECRET: randomBytes(32).toString('base64'),
    POSBON_TOTP_SEALING_KEY: randomBytes(32).toString('base64'),
    POSBON_CREDENTIAL_NAMING_KEY: randomBytes(32).toString('base64'),
    POSBON_VIEWER_SIGNING_KEYS: JSON.stringify([await generateViewerKeyJwk()]),
    POSBON_DATA_DIR: join(dir, 'data'),
    // The chart's migrate Job, in-process: production otherwise only checks the schema.
    POSBON_MIGRATE_ON_START: 'true',
    POSBON_BOOTSTRAP_CREDENTIAL_FILE: join(dir, 'secret', 'bootstrap-admin.txt'),
    POSBON_LOG_LEVEL: 'debug',
  };
  for (const name of ['KUBECONFIG', 'POSBON_GIT_REPO', 'POSBON_WEBHOOK_PUBLIC_URL', 'POSBON_TOKEN_HASH_KEY']) delete env[name];
});

afterAll(async () => {
  await service?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the first start in production', () => {
  it('writes the bootstrap credential to a 0600 file and never to its output', async () => {
    const output = await start();
    const file = env.POSBON_BOOTSTRAP_CREDENTIAL_FILE!;
    const content = await readFile(file, 'utf8');
    const password = /^password=(\S+)$/m.exec(content)?.[1];
    const secret = /^totp_secret=([A-Z2-7]+)$/m.exec(content)?.[1];
    expect({ password: !!password, secret: !!secret, mode: ((await stat(file)).mode & 0o777).toString(8) }).toEqual({ password: true, secret: true, mode: '600' });
    // The control: what the scan looks for is really the credential, since it logs in.
    const login = await fetch(`http://127.0.0.1:${port}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password, totp: totpCode(base32Decode(secret!), totpStep(new Date())) }),
    });
    expect(login.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const logs = await service!.logs();
    expect({ password: logs.includes(password!), secret: logs.includes(secret!) }).toEqual({ password: false, secret: false });
    expect(output).toContain(`credential written to ${file} (mode 0600)`);
    await service!.stop();
  });

  it('does not overwrite the file, or create a second admin, on the next start', async () => {
    const before = await readFile(env.POSBON_BOOTSTRAP_CREDENTIAL_FILE!, 'utf8');
    const output = await start();
    expect(output).not.toContain('Bootstrap admin');
    expect(await readFile(env.POSBON_BOOTSTRAP_CREDENTIAL_FILE!, 'utf8')).toBe(before);
    await service!.stop();
  });
});
