import { apiConfig } from './config.js';

const git = {
  POSBON_GIT_URL: 'http://127.0.0.1:3000',
  POSBON_GIT_REPO: 'platform/fleet',
  POSBON_GIT_TOKEN: 't0ken',
  POSBON_GIT_BOT: 'posbon-bot',
};

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
    expect(
      apiConfig({ ...git, POSBON_GIT_HOST: 'github', POSBON_GIT_URL: '', POSBON_GIT_ENV: 'prod' }).git,
    ).toMatchObject({ host: 'github', url: 'https://api.github.com', env: 'prod' });
  });

  it('refuses half a configuration in one line naming what is missing', () => {
    expect(() => apiConfig({ POSBON_GIT_REPO: 'platform/fleet' })).toThrow(
      'the Git host needs POSBON_GIT_TOKEN, POSBON_GIT_BOT, POSBON_GIT_URL as well (see .env.example)',
    );
    expect(() => apiConfig({ ...git, POSBON_GIT_REPO: 'fleet' })).toThrow(
      'POSBON_GIT_REPO: POSBON_GIT_REPO must be OWNER/NAME',
    );
    expect(() => apiConfig({ ...git, POSBON_GIT_HOST: 'gitlab' })).toThrow(
      'POSBON_GIT_HOST: POSBON_GIT_HOST must be gitea or github',
    );
  });

  it("takes the webhook terminal credentials only whole, without the ingress's sealing key", () => {
    expect(() => apiConfig({ POSBON_WEBHOOK_PUBLIC_URL: 'https://attendance.example.org' })).toThrow(
      'terminal credentials need POSBON_WEBHOOK_PUBLIC_URL and POSBON_TOKEN_HASH_KEY, the same token hash key as the webhook ingress',
    );
    const key = Buffer.alloc(32, 7).toString('base64');
    const config = apiConfig({
      POSBON_WEBHOOK_PUBLIC_URL: 'https://attendance.example.org',
      POSBON_TOKEN_HASH_KEY: key,
    });
    expect(config.webhook).toEqual({ publicUrl: 'https://attendance.example.org', tokenHashKey: Buffer.alloc(32, 7) });
    expect(() => apiConfig({ POSBON_TOKEN_HASH_KEY: Buffer.alloc(16).toString('base64') })).toThrow(
      'POSBON_TOKEN_HASH_KEY must decode to at least 32 bytes (base64)',
    );
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
    const config = apiConfig({
      POSBON_LOCKOUT_MAX_FAILURES: '3',
      POSBON_LOCKOUT_BASE_SECONDS: '10',
      POSBON_LOCKOUT_MINUTES: '5',
      POSBON_BOOTSTRAP_CREDENTIAL_FILE: '/run/secret/admin',
    });
    expect([config.loginThrottle, config.bootstrapCredentialFile]).toEqual([
      { freeFailures: 3, baseDelayMs: 10_000, maxDelayMs: 300_000, maxInFlight: 2 },
      '/run/secret/admin',
    ]);
  });
});

const key = (fill: number) => Buffer.alloc(32, fill).toString('base64');
const production = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://posbon@db/posbon',
  POSBON_ACCESS_TOKEN_SECRET: key(1),
  POSBON_TOTP_SEALING_KEY: key(2),
  POSBON_CREDENTIAL_NAMING_KEY: key(3),
  POSBON_VIEWER_SIGNING_KEYS: '[{"kid":"k1"}]',
  POSBON_JWKS_TLS_CERT_FILE: '/tls/tls.crt',
  POSBON_JWKS_TLS_KEY_FILE: '/tls/tls.key',
};

describe('one key per purpose', () => {
  it('gives TOTP seeds and credential Secret names keys of their own', () => {
    const config = apiConfig(production);
    expect([config.totpSealingKey, config.credentialNamingKey, config.warnings]).toEqual([
      Buffer.alloc(32, 2),
      Buffer.alloc(32, 3),
      [],
    ]);
  });

  it('refuses production without either key, naming it', () => {
    const { POSBON_CREDENTIAL_NAMING_KEY: _naming, ...noNaming } = production;
    expect(() => apiConfig(noNaming)).toThrow(
      'production needs POSBON_CREDENTIAL_NAMING_KEY: there are no default secrets (see .env.example)',
    );
    const { POSBON_TOTP_SEALING_KEY: _totp, ...noTotp } = production;
    expect(() => apiConfig(noTotp)).toThrow(
      'production needs POSBON_TOTP_SEALING_KEY: there are no default secrets (see .env.example)',
    );
    expect(() => apiConfig({ ...production, POSBON_TOTP_SEALING_KEY: key(2).slice(0, 20) })).toThrow(
      'POSBON_TOTP_SEALING_KEY: POSBON_TOTP_SEALING_KEY must decode to at least 32 bytes (base64)',
    );
  });

  it('refuses one key given for two purposes', () => {
    expect(() => apiConfig({ ...production, POSBON_CREDENTIAL_NAMING_KEY: key(2) })).toThrow(
      'POSBON_TOTP_SEALING_KEY and POSBON_CREDENTIAL_NAMING_KEY must be different keys: each key has one purpose',
    );
    expect(() =>
      apiConfig({ ...production, POSBON_WEBHOOK_PUBLIC_URL: 'https://a.example.org', POSBON_TOKEN_HASH_KEY: key(1) }),
    ).toThrow('POSBON_ACCESS_TOKEN_SECRET and POSBON_TOKEN_HASH_KEY must be different keys: each key has one purpose');
  });

  it('reads the retired shared key as the TOTP key only, with a warning', () => {
    const { POSBON_TOTP_SEALING_KEY: _totp, ...old } = production;
    const config = apiConfig({ ...old, POSBON_SECRET_SEALING_KEY: key(9) });
    expect([config.totpSealingKey, config.credentialNamingKey, config.warnings]).toEqual([
      Buffer.alloc(32, 9),
      Buffer.alloc(32, 3),
      [
        'POSBON_SECRET_SEALING_KEY is retired and read only as POSBON_TOTP_SEALING_KEY: rename it, and never give it to the webhook ingress',
      ],
    ]);
    expect(() => apiConfig({ ...production, POSBON_SECRET_SEALING_KEY: key(9) })).toThrow(
      'POSBON_SECRET_SEALING_KEY is retired: remove it (POSBON_TOTP_SEALING_KEY is set)',
    );
  });
});

describe('POSBON_TRUST_PROXY', () => {
  it('trusts no proxy unless told', () => {
    expect(apiConfig({}).trustProxy).toBe(false);
  });

  it('takes the forms Express takes: a hop count, names, addresses and subnets', () => {
    const of = (value: string) => apiConfig({ POSBON_TRUST_PROXY: value }).trustProxy;
    expect([
      of('1'),
      of('false'),
      of('loopback'),
      of('10.244.0.0/16, 192.0.2.7'),
      of('fd00::/8,uniquelocal'),
      of('10.0.0.0/255.0.0.0'),
    ]).toEqual([1, false, 'loopback', '10.244.0.0/16,192.0.2.7', 'fd00::/8,uniquelocal', '10.0.0.0/255.0.0.0']);
  });

  it('refuses garbage and `true` in one line naming the variable', () => {
    expect(() => apiConfig({ POSBON_TRUST_PROXY: 'ingress' })).toThrow(
      "POSBON_TRUST_PROXY: 'ingress' is not false, a hop count, loopback, linklocal, uniquelocal, an IP address or a CIDR subnet",
    );
    expect(() => apiConfig({ POSBON_TRUST_PROXY: '10.0.0.0/33' })).toThrow(
      "POSBON_TRUST_PROXY: '10.0.0.0/33' is not false",
    );
    expect(() => apiConfig({ POSBON_TRUST_PROXY: 'true' })).toThrow(
      "POSBON_TRUST_PROXY: true trusts every hop, so any client picks its own address: give the hop count or the proxies' addresses",
    );
  });
});

describe('the JWKS over TLS', () => {
  it('takes certificate and key together, on port 8443 unless told', () => {
    expect(apiConfig(production).jwksTls).toEqual({ certFile: '/tls/tls.crt', keyFile: '/tls/tls.key', port: 8443 });
    expect(() => apiConfig({ POSBON_JWKS_TLS_CERT_FILE: '/tls/tls.crt' })).toThrow(
      'the JWKS over TLS needs both POSBON_JWKS_TLS_CERT_FILE and POSBON_JWKS_TLS_KEY_FILE',
    );
  });

  it('is missed out loud in production', () => {
    const { POSBON_JWKS_TLS_CERT_FILE: _cert, POSBON_JWKS_TLS_KEY_FILE: _key, ...plain } = production;
    expect(apiConfig(plain).warnings).toEqual([
      'POSBON_JWKS_TLS_CERT_FILE is unset: media nodes cannot fetch the viewer keys over TLS, and the operator refuses a plain-HTTP JWKS',
    ]);
  });
});

describe('where the API reads the cluster', () => {
  it('uses the pod ServiceAccount in a pod, KUBECONFIG when given, and the fleet folder otherwise', () => {
    const pick = (env: Record<string, string>) => {
      const c = apiConfig(env);
      return { kubeconfig: c.kubeconfig, inCluster: c.inCluster };
    };
    expect(pick({ KUBERNETES_SERVICE_HOST: '10.0.0.1' })).toEqual({ kubeconfig: undefined, inCluster: true });
    expect(pick({ KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBECONFIG: '/k' })).toEqual({ kubeconfig: '/k', inCluster: false });
    expect(pick({})).toEqual({ kubeconfig: undefined, inCluster: false });
  });
});
