import { webhookConfig } from './config.js';

const key = (fill: number) => Buffer.alloc(32, fill).toString('base64');
const env = { DATABASE_URL: 'postgres://webhook@db/posbon', POSBON_TOKEN_HASH_KEY: key(1), POSBON_WEBHOOK_SEALING_KEY: key(2) };

describe('the webhook ingress\'s keys', () => {
  it('are its own two: the token hash key and the signing-secret sealing key', () => {
    expect(webhookConfig(env).keys).toEqual({ tokenHashKey: Buffer.alloc(32, 1), sealingKey: Buffer.alloc(32, 2) });
  });

  it('refuses to start without its sealing key, naming it', () => {
    const { POSBON_WEBHOOK_SEALING_KEY: _sealing, ...without } = env;
    expect(() => webhookConfig(without)).toThrow('POSBON_WEBHOOK_SEALING_KEY is required: 32 random bytes, base64');
    expect(() => webhookConfig({ ...env, POSBON_WEBHOOK_SEALING_KEY: key(2).slice(0, 12) })).toThrow('POSBON_WEBHOOK_SEALING_KEY must decode to 32 bytes');
  });

  it('refuses to start holding a key of the admin API', () => {
    expect(() => webhookConfig({ ...env, POSBON_SECRET_SEALING_KEY: key(3), POSBON_TOTP_SEALING_KEY: key(4) })).toThrow(
      'POSBON_SECRET_SEALING_KEY, POSBON_TOTP_SEALING_KEY must not be given to the webhook ingress: it holds only POSBON_TOKEN_HASH_KEY and POSBON_WEBHOOK_SEALING_KEY',
    );
  });
});
