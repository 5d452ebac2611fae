import { apiConfig } from './config.js';

const git = { POSBON_GIT_URL: 'http://127.0.0.1:3000', POSBON_GIT_REPO: 'platform/fleet', POSBON_GIT_TOKEN: 't0ken', POSBON_GIT_BOT: 'posbon-bot' };

describe('the Git host from the environment', () => {
  it('is absent when nothing is set: the write endpoints then answer 503', () => {
    expect(apiConfig({}).git).toBeUndefined();
  });

  it('takes all of URL, repository, token and bot, with the cluster folder and author domain defaulted', () => {
    expect(apiConfig(git).git).toEqual({
      host: 'gitea',
      url: 'http://127.0.0.1:3000',
      owner: 'platform',
      repo: 'fleet',
      token: 't0ken',
      bot: 'posbon-bot',
      env: 'dev',
      authorDomain: 'users.posbon.invalid',
    });
    expect(apiConfig({ ...git, POSBON_GIT_HOST: 'github', POSBON_GIT_URL: '', POSBON_GIT_ENV: 'prod' }).git).toMatchObject({ host: 'github', url: 'https://api.github.com', env: 'prod' });
  });

  it('refuses half a configuration in one line naming what is missing', () => {
    expect(() => apiConfig({ POSBON_GIT_REPO: 'platform/fleet' })).toThrow('the Git host needs POSBON_GIT_TOKEN, POSBON_GIT_BOT, POSBON_GIT_URL as well (see .env.example)');
    expect(() => apiConfig({ ...git, POSBON_GIT_REPO: 'fleet' })).toThrow('POSBON_GIT_REPO: POSBON_GIT_REPO must be OWNER/NAME');
    expect(() => apiConfig({ ...git, POSBON_GIT_HOST: 'gitlab' })).toThrow('POSBON_GIT_HOST: POSBON_GIT_HOST must be gitea or github');
  });

  it('takes the webhook terminal credentials only whole', () => {
    expect(() => apiConfig({ POSBON_WEBHOOK_PUBLIC_URL: 'https://attendance.example.org' })).toThrow(
      'terminal credentials need POSBON_WEBHOOK_PUBLIC_URL, POSBON_TOKEN_HASH_KEY and POSBON_SECRET_SEALING_KEY, the same keys as the webhook ingress',
    );
    const key = Buffer.alloc(32, 7).toString('base64');
    const config = apiConfig({ POSBON_WEBHOOK_PUBLIC_URL: 'https://attendance.example.org', POSBON_TOKEN_HASH_KEY: key, POSBON_SECRET_SEALING_KEY: key });
    expect(config.webhook).toEqual({ publicUrl: 'https://attendance.example.org', tokenHashKey: Buffer.alloc(32, 7) });
    expect(() => apiConfig({ POSBON_TOKEN_HASH_KEY: Buffer.alloc(16).toString('base64') })).toThrow('POSBON_TOKEN_HASH_KEY must decode to at least 32 bytes (base64)');
  });
});

describe('login throttling and the bootstrap credential from the environment', () => {
  it('default to five free failures, then 30 s doubling to 15 minutes, and a file under the data folder', () => {
    const config = apiConfig({ POSBON_DATA_DIR: '/data' });
    expect([config.loginThrottle, config.bootstrapCredentialFile]).toEqual([
      { freeFailures: 5, baseDelayMs: 30_000, maxDelayMs: 900_000, maxInFlight: 2 },
      '/data/bootstrap-admin.txt',
    ]);
  });

  it('take the free failures, the first wait, the cap and the file', () => {
    const config = apiConfig({ POSBON_LOCKOUT_MAX_FAILURES: '3', POSBON_LOCKOUT_BASE_SECONDS: '10', POSBON_LOCKOUT_MINUTES: '5', POSBON_BOOTSTRAP_CREDENTIAL_FILE: '/run/secret/admin' });
    expect([config.loginThrottle, config.bootstrapCredentialFile]).toEqual([{ freeFailures: 3, baseDelayMs: 10_000, maxDelayMs: 300_000, maxInFlight: 2 }, '/run/secret/admin']);
  });
});
