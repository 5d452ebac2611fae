// A real Gitea for the write path's tests: PostgreSQL from the run's cluster, HTTP on loopback, no SSH, no mail.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureTool, gitea, giteaStaticRoot } from '../tools/tools.js';
import { createDatabase } from './postgres.js';
import { eventually, freePort, harnessDir, spawnService, type Service } from './process.js';

const run = promisify(execFile);

/** Gitea refuses to run as root; the harness runs it as this account, created when missing. */
const OS_USER = 'posbon-gitea';

export interface GiteaUser {
  login: string;
  password: string;
  email: string;
  token: string;
}

export type GiteaRole = 'admin' | 'bot' | 'reviewerA' | 'reviewerB' | 'outsider';

export interface Gitea {
  url: string;
  users: Record<GiteaRole, GiteaUser>;
  /** A repository owned by the admin with a `main` branch and every other user as a writing collaborator. */
  createRepository(name: string): Promise<{ owner: string; repo: string }>;
  logs(): Promise<string>;
  stop(): Promise<void>;
}

const ROLES: GiteaRole[] = ['admin', 'bot', 'reviewerA', 'reviewerB', 'outsider'];
const LOGINS: Record<GiteaRole, string> = {
  admin: 'root-admin',
  bot: 'posbon-bot',
  reviewerA: 'alice',
  reviewerB: 'bob',
  outsider: 'carol',
};

export async function startGitea(postgresAdminUrl: string): Promise<Gitea> {
  const binaryInCache = await ensureTool(gitea, (line) => console.log(line));
  const asRoot = process.getuid?.() === 0;
  const dir = await harnessDir('gitea');
  await chmod(dir, 0o755);
  // The tool cache lives under a private home; hard links (same file system) or copies make it reachable for OS_USER.
  const binary = join(dir, 'gitea');
  const staticRoot = join(dir, 'static');
  await run('cp', ['-al', binaryInCache, binary]).catch(() => run('cp', ['-a', binaryInCache, binary]));
  await run('cp', ['-al', giteaStaticRoot(), staticRoot]).catch(() => run('cp', ['-a', giteaStaticRoot(), staticRoot]));
  const work = join(dir, 'work');
  await mkdir(join(work, 'custom', 'conf'), { recursive: true });

  const database = new URL(await createDatabase(postgresAdminUrl, 'gitea'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const runUser = asRoot ? OS_USER : (await run('id', ['-un'])).stdout.trim();
  const config = join(work, 'custom', 'conf', 'app.ini');
  await writeFile(config, appIni({ work, staticRoot, port, database, runUser }));
  if (asRoot) {
    await ensureOsUser();
    await run('chown', ['-R', `${OS_USER}:`, work]);
  }

  const env = { ...process.env, HOME: join(work, 'home'), GITEA_WORK_DIR: work, USER: runUser };
  const common = ['--work-path', work, '--config', config];
  const service: Service = await spawnService('gitea', binary, ['web', ...common], { env, cwd: work, ...(asRoot ? { asUser: OS_USER } : {}) });
  try {
    await eventually(
      async () => {
        if (service.exited()) throw new Error(`gitea exited:\n${(await service.logs()).slice(-3000)}`);
        const response = await fetch(`${url}/api/healthz`);
        if (!response.ok) throw new Error(`gitea not healthy: ${response.status}`);
      },
      120_000,
      250,
    );
    const cli = async (args: string[]): Promise<string> => {
      const [cmd, argv] = asRoot ? ['runuser', ['-u', OS_USER, '--', binary, ...args]] : [binary, args];
      try {
        return (await run(cmd, argv, { env, cwd: work })).stdout;
      } catch (error) {
        throw new Error(`gitea ${args.slice(0, 3).join(' ')} failed: ${(error as { stderr?: string }).stderr ?? String(error)}`);
      }
    };
    const users = {} as Record<GiteaRole, GiteaUser>;
    for (const role of ROLES) {
      const login = LOGINS[role];
      const password = `pw-${randomBytes(9).toString('hex')}`;
      const email = `${login}@posbon.test`;
      const admin = role === 'admin' ? ['--admin'] : [];
      await cli(['admin', 'user', 'create', ...common, '--username', login, '--password', password, '--email', email, '--must-change-password=false', ...admin]);
      const token = (
        await cli(['admin', 'user', 'generate-access-token', ...common, '--username', login, '--token-name', 'tests', '--scopes', 'all', '--raw'])
      ).trim();
      users[role] = { login, password, email, token };
    }
    return {
      url,
      users,
      createRepository: (name) => createRepository(url, users, name),
      logs: () => service.logs(),
      stop: () => service.stop(),
    };
  } catch (error) {
    await service.stop();
    throw error;
  }
}

async function createRepository(url: string, users: Record<GiteaRole, GiteaUser>, name: string): Promise<{ owner: string; repo: string }> {
  const admin = users.admin;
  const call = async (method: string, path: string, body: unknown) => {
    const response = await fetch(`${url}/api/v1${path}`, {
      method,
      headers: { Authorization: `token ${admin.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  };
  await call('POST', '/user/repos', { name, auto_init: true, default_branch: 'main', readme: 'Default', private: false });
  for (const role of ROLES.filter((r) => r !== 'admin')) {
    await call('PUT', `/repos/${admin.login}/${name}/collaborators/${users[role].login}`, { permission: 'write' });
  }
  return { owner: admin.login, repo: name };
}

async function ensureOsUser(): Promise<void> {
  try {
    await run('id', ['-u', OS_USER]);
  } catch {
    await run('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', OS_USER]);
  }
}

function appIni(o: { work: string; staticRoot: string; port: number; database: URL; runUser: string }): string {
  const db = o.database;
  return `APP_NAME = Posbon fleet (test)
RUN_USER = ${o.runUser}
RUN_MODE = prod
WORK_PATH = ${o.work}

[database]
DB_TYPE = postgres
HOST = ${db.hostname}:${db.port}
NAME = ${db.pathname.slice(1)}
USER = ${decodeURIComponent(db.username)}
PASSWD = \`${decodeURIComponent(db.password)}\`
SSL_MODE = disable

[repository]
ROOT = ${join(o.work, 'repositories')}
DEFAULT_BRANCH = main

; A push's pull-request update (which dismisses stale approvals) runs inside the request that pushed, as in
; Gitea's own integration tests. Queued, the push that opened a branch could be handled after the pull request
; was opened and approved, and dismiss the approval: a race no human reviewer meets, and a flaky test. Other
; queues (the mergeability check among them) stay as they are.
[queue.push_update]
TYPE = immediate

[server]
PROTOCOL = http
HTTP_ADDR = 127.0.0.1
HTTP_PORT = ${o.port}
ROOT_URL = http://127.0.0.1:${o.port}/
DOMAIN = 127.0.0.1
DISABLE_SSH = true
START_SSH_SERVER = false
SSH_CREATE_AUTHORIZED_KEYS_FILE = false
SSH_ROOT_PATH = ${join(o.work, 'ssh')}
OFFLINE_MODE = true
LFS_START_SERVER = false
APP_DATA_PATH = ${join(o.work, 'data')}
STATIC_ROOT_PATH = ${o.staticRoot}

[security]
INSTALL_LOCK = true
SECRET_KEY = ${randomBytes(24).toString('hex')}
INTERNAL_TOKEN = ${randomBytes(48).toString('base64url')}
PASSWORD_COMPLEXITY = off
MIN_PASSWORD_LENGTH = 8

[oauth2]
ENABLED = false

[service]
DISABLE_REGISTRATION = true
DEFAULT_KEEP_EMAIL_PRIVATE = false
ENABLE_NOTIFY_MAIL = false

[mailer]
ENABLED = false

[actions]
ENABLED = false

[session]
PROVIDER = memory

[cache]
ADAPTER = memory

[log]
MODE = console
LEVEL = Warn
ROOT_PATH = ${join(o.work, 'log')}
`;
}
