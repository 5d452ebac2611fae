// Sessions, refresh rotation and reuse, TOTP, throttling, cookies in production, rate limits — and no secret in any log line.
import { call, createAccount, login, startTestApi, totpAt, type TestAccount, type TestApi } from './fixture.js';

let api: TestApi;
let prod: TestApi;
let limited: TestApi;
let viewer: TestAccount;
let admin: TestAccount;
/** Every secret the suite handled; none may appear in a log line. */
const secrets = new Set<string>();
const remember = <T extends Record<string, unknown>>(body: T): T => {
  for (const value of Object.values(body ?? {})) if (typeof value === 'string' && value.length > 12 && !/^\d{4}-/.test(value)) secrets.add(value);
  return body;
};

beforeAll(async () => {
  api = await startTestApi();
  prod = await startTestApi({ http: { production: true }, logStream: (api as any).logStream });
  limited = await startTestApi({ http: { loginPerMinute: 2, tokensPerMinute: 2 }, logStream: (api as any).logStream });
  viewer = await createAccount(api, 'guard', 'VIEWER', ['school-a']);
  admin = await createAccount(api, 'root', 'SUPER_ADMIN');
  for (const a of [viewer, admin]) {
    secrets.add(a.password);
    if (a.totpSecret) secrets.add(a.totpSecret);
  }
});

afterAll(async () => {
  await limited?.close();
  await prod?.close();
  await api?.close();
});

const refresh = (t: TestApi, refreshToken: string) => call(t, 'POST', '/auth/refresh', { body: { refreshToken } });

describe('refresh tokens', () => {
  it('rotate: each refresh returns a new pair, and the new access token works', async () => {
    const first = remember(await login(api, viewer) as any);
    const next = await refresh(api, first.refreshToken);
    remember(next.body);
    expect(next.status).toBe(200);
    expect(next.body.refreshToken).not.toBe(first.refreshToken);
    expect((await call(api, 'GET', '/me', { token: next.body.accessToken })).body.username).toBe('guard');
  });

  it('revoke the whole family when a spent refresh token is shown again', async () => {
    const first = remember(await login(api, viewer) as any);
    const second = remember((await refresh(api, first.refreshToken)).body);
    const reuse = await refresh(api, first.refreshToken);
    expect(reuse.status).toBe(401);
    // The legitimate holder's newest token dies with the family.
    expect((await refresh(api, second.refreshToken)).status).toBe(401);
    const sessions = (await call(api, 'GET', '/auth/sessions', { token: second.accessToken })).body.items;
    expect(sessions.find((s: { current: boolean }) => s.current)).toMatchObject({ revokedReason: 'refresh-token-reuse' });
    const audit = await api.services.audit.list({ action: 'auth.refresh', limit: 10 });
    expect(audit.map((e) => e.result)).toContain('reuse');
  });

  it('stop at the next refresh once their session is revoked from another session', async () => {
    const laptop = remember(await login(api, viewer) as any);
    const phone = remember(await login(api, viewer) as any);
    const laptopSession = (await call(api, 'GET', '/me', { token: laptop.accessToken })).body.sessionId;
    expect((await call(api, 'DELETE', `/auth/sessions/${laptopSession}`, { token: phone.accessToken })).status).toBe(200);
    expect((await refresh(api, laptop.refreshToken)).status).toBe(401);
    expect((await refresh(api, phone.refreshToken)).status).toBe(200);
  });

  it('are refused when unknown', async () => {
    expect((await refresh(api, 'prt_not-a-token')).status).toBe(401);
  });
});

describe('TOTP', () => {
  it('is required for a SUPER_ADMIN, checked, and a code is accepted only once', async () => {
    const noCode = await call(api, 'POST', '/auth/login', { body: { username: 'root', password: admin.password } });
    expect([noCode.status, noCode.body.error]).toEqual([401, 'invalid username, password or one-time code']);
    const wrongCode = totpAt(api, admin.totpSecret!, 5);
    const wrong = await call(api, 'POST', '/auth/login', { body: { username: 'root', password: admin.password, totp: wrongCode } });
    expect(wrong.status).toBe(401);
    const code = totpAt(api, admin.totpSecret!);
    const ok = await call(api, 'POST', '/auth/login', { body: { username: 'root', password: admin.password, totp: code } });
    remember(ok.body);
    expect(ok.status).toBe(200);
    const replay = await call(api, 'POST', '/auth/login', { body: { username: 'root', password: admin.password, totp: code } });
    expect(replay.status).toBe(401);
  });

  it('is required for a STREAM_ADMIN too, and not for a VIEWER', async () => {
    const streams = await createAccount(api, 'streams', 'STREAM_ADMIN');
    secrets.add(streams.password);
    secrets.add(streams.totpSecret!);
    expect((await call(api, 'POST', '/auth/login', { body: { username: 'streams', password: streams.password } })).status).toBe(401);
    remember(await login(api, streams) as any);
    expect(viewer.totpSecret).toBeNull();
  });
});

describe('throttling', () => {
  it('makes an account wait after five failures, even with the right password, and lets it in after the wait', async () => {
    const victim = await createAccount(api, 'victim', 'VIEWER', ['school-a']);
    secrets.add(victim.password);
    for (let i = 0; i < 5; i++) {
      expect((await call(api, 'POST', '/auth/login', { body: { username: 'victim', password: `wrong-${i}` } })).status).toBe(401);
    }
    const waiting = await call(api, 'POST', '/auth/login', { body: { username: 'victim', password: victim.password } });
    expect(waiting.status).toBe(429);
    const audit = await api.services.audit.list({ action: 'auth.login', limit: 1 });
    expect(audit[0]).toMatchObject({ actorId: victim.id, result: 'throttled' });
    api.clock.offsetMs = 61_000;
    try {
      remember(await login(api, victim) as any);
    } finally {
      api.clock.offsetMs = 0;
    }
  });
});

describe('in production', () => {
  it('sends tokens only as httpOnly Secure SameSite=Strict cookies and refreshes from the cookie', async () => {
    const account = await createAccount(prod, 'cookie-user', 'VIEWER', ['school-a']);
    secrets.add(account.password);
    const res = await call(prod, 'POST', '/auth/login', { body: { username: 'cookie-user', password: account.password } });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['accessExpiresAt', 'refreshExpiresAt']);
    const setCookies = res.headers.getSetCookie();
    expect(setCookies).toHaveLength(2);
    for (const c of setCookies) {
      expect(c).toMatch(/; HttpOnly/);
      expect(c).toMatch(/; Secure/);
      expect(c).toMatch(/; SameSite=Strict/);
      secrets.add(c.split(';')[0]!.split('=')[1]!);
    }
    const jar = setCookies.map((c) => c.split(';')[0]).join('; ');
    expect((await call(prod, 'GET', '/me', { headers: { cookie: jar } })).body.username).toBe('cookie-user');
    // A refresh token in the body is not accepted in production: only the cookie is.
    const refreshCookie = setCookies.find((c) => c.startsWith('posbon_refresh='))!.split(';')[0]!.split('=')[1]!;
    expect((await call(prod, 'POST', '/auth/refresh', { body: { refreshToken: refreshCookie } })).status).toBe(400);
    const rotated = await call(prod, 'POST', '/auth/refresh', { headers: { cookie: jar }, body: {} });
    expect(rotated.status).toBe(200);
    for (const c of rotated.headers.getSetCookie()) secrets.add(c.split(';')[0]!.split('=')[1]!);
  });
});

describe('rate limits', () => {
  it('answer 429 with Retry-After on the login and token endpoints past the limit', async () => {
    const body = { username: 'nobody', password: 'nothing-here' };
    const logins = [];
    for (let i = 0; i < 3; i++) logins.push(await call(limited, 'POST', '/auth/login', { body }));
    expect(logins.map((r) => [r.status, r.headers.get('retry-after')])).toEqual([
      [401, null],
      [401, null],
      [429, '30'],
    ]);
    expect(logins[2]!.body.error).toBe('login: too many requests, slow down');
    const refreshes = [];
    for (let i = 0; i < 3; i++) refreshes.push(await refresh(limited, 'prt_nothing'));
    expect(refreshes.map((r) => [r.status, r.headers.get('retry-after')])).toEqual([
      [401, null],
      [401, null],
      [429, '30'],
    ]);
  });
});

describe('the log of this suite', () => {
  it('holds no password, token or secret in any line', async () => {
    // A failing request with credentials in headers and body, so the scan covers error paths as well.
    await call(api, 'POST', '/auth/login', { body: { username: 'guard', password: viewer.password, extra: 'x'.repeat(10) }, headers: { authorization: `Bearer ${[...secrets][0]}` } });
    await call(api, 'GET', `/cameras/bad/stream?jwt=${[...secrets][1]}`);
    await new Promise((resolve) => setImmediate(resolve));
    const lines = api.logLines();
    expect(lines.length).toBeGreaterThan(20);
    const leaks = lines.filter((line) => [...secrets].some((secret) => line.includes(secret)));
    expect(leaks).toEqual([]);
    expect(lines.filter((line) => /eyJ[A-Za-z0-9_-]+\.eyJ|prt_[A-Za-z0-9_-]{20}/.test(line))).toEqual([]);
    expect(secrets.size).toBeGreaterThan(10);
  });
});
