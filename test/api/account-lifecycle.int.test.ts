// The account lifecycle against the real PostgreSQL: a generated password must be changed before anything else, a
// SCHOOL_ADMIN needs a second factor, disable and delete end sessions and the agent tokens the account issued,
// role and scope edits are SUPER_ADMIN's alone and audited, and the admin CLI resets an account from a shell.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { base32Decode, totpCode, totpStep } from '../../api/admin/identity/totp.js';
import { testDatabase } from '../harness/index.js';
import { call, createAccount, login, startTestApi, type TestAccount, type TestApi, type Tokens } from './fixture.js';

const run = promisify(execFile);
const sealingKey = randomBytes(32);
let databaseUrl: string;
let api: TestApi;
let root: TestAccount;
let rootToken: string;

beforeAll(async () => {
  databaseUrl = await testDatabase('lifecycle');
  api = await startTestApi({ databaseUrl, sealingKey });
  root = await createAccount(api, 'root', 'SUPER_ADMIN');
  rootToken = (await login(api, root)).accessToken;
});

afterAll(async () => {
  await api?.close();
});

const secretOf = (uri: string) => /secret=([A-Z2-7]+)/.exec(uri)![1]!;
const codeAt = (secret: string, stepOffset = 0) => totpCode(base32Decode(secret), totpStep(api.clock.now()) + stepOffset);
const refresh = (refreshToken: string) => call(api, 'POST', '/auth/refresh', { body: { refreshToken } });
const auditOf = async (action: string) => api.services.audit.list({ action, limit: 20 });

describe('a generated password and a second factor enrolled at first login', () => {
  let created: { id: string; username: string; password: string };
  let first: Tokens;
  let changed: Tokens;

  beforeAll(async () => {
    const res = await call(api, 'POST', '/accounts', { token: rootToken, body: { username: 'new-head', role: 'SCHOOL_ADMIN', schools: ['school-a'] } });
    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(['account', 'initialPassword']);
    created = { id: res.body.account.id, username: 'new-head', password: res.body.initialPassword };
  });

  it('leaves a new SCHOOL_ADMIN\'s second factor to its holder: nobody else ever sees it', async () => {
    expect(await api.services.accounts.get(created.id)).toMatchObject({ totpEnrolled: false, mustEnrolTotp: true, mustChangePassword: true });
  });

  it('opens only whoami, logout, the password change and enrolment until the password is changed, answering 403 PASSWORD_CHANGE_REQUIRED', async () => {
    const res = await call(api, 'POST', '/auth/login', { body: { username: created.username, password: created.password } });
    expect(res.status).toBe(200);
    first = res.body;
    const token = first.accessToken;
    const refused = await Promise.all(
      ['/schools', '/schools/school-a/nvrs', '/audit', '/auth/sessions', '/attendance/schools/school-a/days/2026-01-05', '/schools/school-a/agent-tokens'].map((path) =>
        call(api, 'GET', path, { token }),
      ),
    );
    expect(refused.map((r) => [r.status, r.body.code])).toEqual(Array.from({ length: 6 }, () => [403, 'PASSWORD_CHANGE_REQUIRED']));
    expect((await call(api, 'POST', '/schools/school-a/agent-tokens', { token, body: { label: 'x' } })).body.code).toBe('PASSWORD_CHANGE_REQUIRED');
    const me = await call(api, 'GET', '/me', { token });
    expect([me.status, me.body.mustChangePassword, me.body.mustEnrolTotp]).toEqual([200, true, true]);
  });

  it('is changed with the current password and a long enough new one; every old session ends and a new one starts', async () => {
    const token = first.accessToken;
    const short = await call(api, 'POST', '/auth/password', { token, body: { currentPassword: created.password, newPassword: 'short' } });
    expect([short.status, short.body.error]).toEqual([400, 'newPassword: at least 12 characters']);
    const wrong = await call(api, 'POST', '/auth/password', { token, body: { currentPassword: 'not-it', newPassword: 'a-long-new-passphrase' } });
    expect([wrong.status, wrong.body.error]).toEqual([400, 'currentPassword: does not match']);
    const res = await call(api, 'POST', '/auth/password', { token, body: { currentPassword: created.password, newPassword: 'a-long-new-passphrase' } });
    expect(res.status).toBe(200);
    changed = res.body;
    expect((await refresh(first.refreshToken)).status).toBe(401);
    const me = await call(api, 'GET', '/me', { token: changed.accessToken });
    expect([me.body.mustChangePassword, me.body.mustEnrolTotp]).toEqual([false, true]);
    expect((await auditOf('auth.password')).filter((e) => e.actorId === created.id).map((e) => e.result)).toEqual(['ok', 'bad-password']);
  });

  it('still opens nothing else until a second factor is enrolled, answering 403 TOTP_ENROLMENT_REQUIRED', async () => {
    const refused = await Promise.all(['/schools', '/audit', '/auth/sessions'].map((path) => call(api, 'GET', path, { token: changed.accessToken })));
    expect(refused.map((r) => [r.status, r.body.code])).toEqual(Array.from({ length: 3 }, () => [403, 'TOTP_ENROLMENT_REQUIRED']));
    const refreshed = await refresh(changed.refreshToken);
    expect((await call(api, 'GET', '/schools', { token: refreshed.body.accessToken })).body.code).toBe('TOTP_ENROLMENT_REQUIRED');
    changed = refreshed.body;
  });

  it('enrols the second factor offered by QR once a code from it matches; then every login needs it', async () => {
    const token = changed.accessToken;
    const stale = await call(api, 'POST', '/auth/totp/enrolment', { token });
    const offer = await call(api, 'POST', '/auth/totp/enrolment', { token });
    expect([stale.status, offer.status]).toEqual([201, 201]);
    expect(offer.body.totpUri).toMatch(/^otpauth:\/\/totp\/Posbon:new-head\?issuer=Posbon&secret=[A-Z2-7]+&algorithm=SHA1&digits=6&period=30$/);
    const secret = secretOf(offer.body.totpUri);
    expect(secret).not.toBe(secretOf(stale.body.totpUri));
    const fromStale = await call(api, 'POST', '/auth/totp/enrolment/confirm', { token, body: { code: codeAt(secretOf(stale.body.totpUri)) } });
    expect([fromStale.status, fromStale.body.error]).toEqual([400, 'code: does not match the new second factor; check the device clock and try the next code']);
    const malformed = await call(api, 'POST', '/auth/totp/enrolment/confirm', { token, body: { code: '12' } });
    expect([malformed.status, malformed.body.error]).toEqual([400, 'code: must be the 6 digits the authenticator shows']);
    const done = await call(api, 'POST', '/auth/totp/enrolment/confirm', { token, body: { code: codeAt(secret) } });
    expect(done.status).toBe(200);
    expect((await refresh(changed.refreshToken)).status).toBe(401);
    expect((await call(api, 'GET', '/schools', { token: done.body.accessToken })).status).toBe(200);
    expect((await call(api, 'GET', '/me', { token: done.body.accessToken })).body.mustEnrolTotp).toBe(false);
    expect(await api.services.accounts.get(created.id)).toMatchObject({ totpEnrolled: true, mustEnrolTotp: false });

    const without = await call(api, 'POST', '/auth/login', { body: { username: created.username, password: 'a-long-new-passphrase' } });
    expect(without.status).toBe(401);
    const replayed = await call(api, 'POST', '/auth/login', { body: { username: created.username, password: 'a-long-new-passphrase', totp: codeAt(secret) } });
    expect(replayed.status).toBe(401);
    const next = await call(api, 'POST', '/auth/login', { body: { username: created.username, password: 'a-long-new-passphrase', totp: codeAt(secret, 1) } });
    expect(next.status).toBe(200);
    expect((await call(api, 'POST', '/auth/totp/enrolment', { token: next.body.accessToken })).status).toBe(409);
    const steps = (await auditOf('auth.totp-enrol')).filter((e) => e.actorId === created.id).map((e) => [e.params.step, e.result]);
    expect(steps).toEqual([
      ['confirmed', 'ok'],
      ['confirm', 'bad-code'],
      ['offered', 'ok'],
      ['offered', 'ok'],
    ]);
  });

  it('is cleared by a credential reset from the API, so the holder enrols a new one at next login', async () => {
    const reset = await call(api, 'POST', `/accounts/${created.id}/reset-credentials`, { token: rootToken });
    expect(reset.status).toBe(200);
    expect(reset.body.totpUri).toBeUndefined();
    expect(reset.body.account).toMatchObject({ totpEnrolled: false, mustEnrolTotp: true, mustChangePassword: true });
    const res = await call(api, 'POST', '/auth/login', { body: { username: created.username, password: reset.body.initialPassword } });
    expect(res.status).toBe(200);
    const me = await call(api, 'GET', '/me', { token: res.body.accessToken });
    expect([me.body.mustChangePassword, me.body.mustEnrolTotp]).toEqual([true, true]);
  });
});

describe('disabling an account', () => {
  it('ends its sessions and the agent tokens it issued, and refuses its logins until it is enabled again', async () => {
    const head = await createAccount(api, 'head-off', 'SCHOOL_ADMIN', ['school-a']);
    const tokens = await login(api, head);
    const agent = await call(api, 'POST', '/schools/school-a/agent-tokens', { token: tokens.accessToken, body: { label: 'gate PC' } });
    expect((await call(api, 'GET', '/schools/school-a', { token: agent.body.token })).status).toBe(200);
    const res = await call(api, 'POST', `/accounts/${head.id}/disable`, { token: rootToken });
    expect(res.status).toBe(200);
    expect(res.body.account.disabled).toBe(true);
    expect(res.body.revoked.sessions).toHaveLength(1);
    expect(res.body.revoked.agentTokens).toEqual([agent.body.id]);
    expect((await call(api, 'GET', '/schools/school-a', { token: agent.body.token })).status).toBe(401);
    expect((await refresh(tokens.refreshToken)).status).toBe(401);
    const refused = await call(api, 'POST', '/auth/login', { body: { username: head.username, password: head.password, totp: codeAt(head.totpSecret!, 1) } });
    expect([refused.status, refused.body.error]).toEqual([401, 'invalid username, password or one-time code']);
    expect((await call(api, 'POST', `/accounts/${head.id}/enable`, { token: rootToken })).body.disabled).toBe(false);
    expect((await call(api, 'POST', '/auth/login', { body: { username: head.username, password: head.password, totp: codeAt(head.totpSecret!, 1) } })).status).toBe(200);
    expect((await auditOf('account.disable'))[0]).toMatchObject({ actorId: root.id, result: 'ok', params: { accountId: head.id, revokedSessions: 1, revokedAgents: [agent.body.id] } });
  });

  it('refuses to disable, delete or demote the last enabled SUPER_ADMIN', async () => {
    const answers = await Promise.all([
      call(api, 'POST', `/accounts/${root.id}/disable`, { token: rootToken }),
      call(api, 'DELETE', `/accounts/${root.id}`, { token: rootToken }),
      call(api, 'PATCH', `/accounts/${root.id}`, { token: rootToken, body: { role: 'STREAM_ADMIN' } }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([409, 409, 409]);
  });
});

describe('deleting an account', () => {
  it('ends its sessions and the agent tokens it issued, and removes it', async () => {
    const head = await createAccount(api, 'head-gone', 'SCHOOL_ADMIN', ['school-a']);
    const tokens = await login(api, head);
    const agent = await call(api, 'POST', '/schools/school-a/agent-tokens', { token: tokens.accessToken, body: { label: 'gate PC' } });
    const res = await call(api, 'DELETE', `/accounts/${head.id}`, { token: rootToken });
    expect([res.status, res.body.revoked.agentTokens]).toEqual([200, [agent.body.id]]);
    expect((await call(api, 'GET', '/schools/school-a', { token: agent.body.token })).status).toBe(401);
    expect((await refresh(tokens.refreshToken)).status).toBe(401);
    expect((await call(api, 'GET', '/accounts', { token: rootToken })).body.items.map((a: { username: string }) => a.username)).not.toContain('head-gone');
    expect((await auditOf('account.delete'))[0]).toMatchObject({ actorId: root.id, result: 'ok', params: { username: 'head-gone' } });
  });
});

describe('role and scope edits', () => {
  it('are SUPER_ADMIN\'s alone, and a refused attempt is audited', async () => {
    const streams = await createAccount(api, 'streams', 'STREAM_ADMIN');
    const target = await createAccount(api, 'guard-x', 'VIEWER', ['school-a']);
    const token = (await login(api, streams)).accessToken;
    const res = await call(api, 'PATCH', `/accounts/${target.id}`, { token, body: { schools: ['school-b'] } });
    expect(res.status).toBe(403);
    expect((await auditOf('account.update'))[0]).toMatchObject({ actorId: streams.id, result: 'denied', params: { accountId: target.id } });
  });

  it('narrow a school admin\'s scope: their sessions end, agent tokens for schools they lost are revoked, before and after audited', async () => {
    const head = await createAccount(api, 'head-two', 'SCHOOL_ADMIN', ['school-a', 'school-b']);
    const tokens = await login(api, head);
    const agentA = await call(api, 'POST', '/schools/school-a/agent-tokens', { token: tokens.accessToken, body: { label: 'a' } });
    const agentB = await call(api, 'POST', '/schools/school-b/agent-tokens', { token: tokens.accessToken, body: { label: 'b' } });
    const res = await call(api, 'PATCH', `/accounts/${head.id}`, { token: rootToken, body: { schools: ['school-b'] } });
    expect(res.status).toBe(200);
    expect([res.body.account.schools, res.body.revoked.agentTokens]).toEqual([['school-b'], [agentA.body.id]]);
    expect((await call(api, 'GET', '/schools/school-a', { token: agentA.body.token })).status).toBe(401);
    expect((await call(api, 'GET', '/schools/school-b', { token: agentB.body.token })).status).toBe(200);
    expect((await refresh(tokens.refreshToken)).status).toBe(401);
    expect((await auditOf('account.update'))[0]).toMatchObject({
      actorId: root.id,
      result: 'ok',
      params: { accountId: head.id, before: { role: 'SCHOOL_ADMIN', schools: ['school-a', 'school-b'] }, after: { role: 'SCHOOL_ADMIN', schools: ['school-b'] } },
    });
  });

  it('name the field of a bad change', async () => {
    const target = await createAccount(api, 'guard-y', 'VIEWER', ['school-a']);
    const res = await call(api, 'PATCH', `/accounts/${target.id}`, { token: rootToken, body: { role: 'VIEWER', schools: [] } });
    expect([res.status, res.body.error]).toEqual([400, 'schools: a VIEWER needs at least one school']);
  });
});

describe('the OpenAPI document', () => {
  it('describes the lifecycle routes with the action each needs', async () => {
    const { paths } = (await call(api, 'GET', '/openapi.json')).body as { paths: Record<string, Record<string, { 'x-posbon-action'?: string }>> };
    const lifecycle = Object.entries(paths)
      .filter(([path]) => path.startsWith('/accounts') || path === '/auth/password' || path.startsWith('/auth/totp'))
      .flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => `${method.toUpperCase()} ${path} ${op['x-posbon-action']}`));
    expect(lifecycle.sort()).toEqual([
      'DELETE /accounts/{accountId} account:write',
      'GET /accounts account:read',
      'PATCH /accounts/{accountId} account:write',
      'POST /accounts account:write',
      'POST /accounts/{accountId}/disable account:write',
      'POST /accounts/{accountId}/enable account:write',
      'POST /accounts/{accountId}/reset-credentials account:write',
      'POST /accounts/{accountId}/unlock account:write',
      'POST /auth/password self:password',
      'POST /auth/totp/enrolment self:totp',
      'POST /auth/totp/enrolment/confirm self:totp',
    ]);
  });
});

describe('npm run admin', () => {
  const admin = (args: string[]) =>
    run(process.execPath, ['--import', 'tsx', join(process.cwd(), 'api/admin/cli/main.ts'), ...args], {
      env: { ...process.env, DATABASE_URL: databaseUrl, POSBON_SECRET_SEALING_KEY: sealingKey.toString('base64') },
    }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  it('reset-password gives a throttled admin a new password and second factor, to be changed at the next login', async () => {
    const lost = await createAccount(api, 'lost-root', 'SUPER_ADMIN');
    const session = await login(api, lost);
    for (let i = 0; i < 5; i++) await call(api, 'POST', '/auth/login', { body: { username: 'lost-root', password: `wrong-${i}`, totp: '000000' } });
    expect((await call(api, 'POST', '/auth/login', { body: { username: 'lost-root', password: lost.password, totp: codeAt(lost.totpSecret!, 1) } })).status).toBe(429);
    const out = await admin(['reset-password', 'lost-root']);
    expect([out.code, out.stderr]).toEqual([0, '']);
    const password = /password {2}(\S+)/.exec(out.stdout)![1]!;
    const secret = secretOf(out.stdout);
    expect((await refresh(session.refreshToken)).status).toBe(401);
    const res = await call(api, 'POST', '/auth/login', { body: { username: 'lost-root', password, totp: codeAt(secret) } });
    expect(res.status).toBe(200);
    expect((await call(api, 'GET', '/me', { token: res.body.accessToken })).body.mustChangePassword).toBe(true);
  });

  it('fails with an exit code and one line', async () => {
    const unknown = await admin(['reset-password', 'nobody-here']);
    expect([unknown.code, unknown.stdout, unknown.stderr]).toEqual([1, '', 'refused: username: no account nobody-here\n']);
    const usage = await admin(['reset-password']);
    expect([usage.code, usage.stderr]).toEqual([2, 'error: reset-password takes exactly one username\n']);
  });
});
