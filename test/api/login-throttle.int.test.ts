// Login races against the real PostgreSQL: bursts of concurrent attempts get no more guesses than one at a time,
// a TOTP step is spent once, a missing code counts like a wrong one, and failures throttle rather than lock.
import { base32Decode, totpCode, totpStep } from '../../api/admin/identity/totp.js';
import { call, createAccount, startTestApi, totpAt, type TestAccount, type TestApi } from './fixture.js';

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
});

afterAll(async () => {
  await api?.close();
});

const loginBody = (account: TestAccount, password: string, totp?: string) => ({ username: account.username, password, ...(totp ? { totp } : {}) });

/** Starts every login at once, in order, and waits for all. */
const burst = (bodies: object[]) => Promise.all(bodies.map((body) => call(api, 'POST', '/auth/login', { body })));

const sessionsOf = async (account: TestAccount): Promise<number> =>
  Number(((await api.dataSource.query('SELECT count(*) AS n FROM session WHERE account_id = $1', [account.id])) as Array<{ n: string }>)[0]!.n);

const tally = (statuses: number[]) => statuses.reduce<Record<number, number>>((out, s) => ({ ...out, [s]: (out[s] ?? 0) + 1 }), {});

/** Six-digit codes that are valid for none of the steps the API accepts now. */
function wrongCodes(secret: string, count: number): string[] {
  const step = totpStep(api.clock.now());
  const valid = new Set([-2, -1, 0, 1, 2].map((d) => totpCode(base32Decode(secret), step + d)));
  const out: string[] = [];
  for (let i = 100_000; out.length < count; i += 7919) if (!valid.has(String(i))) out.push(String(i));
  return out;
}

describe('a burst of concurrent logins', () => {
  it('checks at most five of 40 TOTP guesses, issues no session, and throttles the account (429, Retry-After)', async () => {
    const root = await createAccount(api, 'burst-root', 'SUPER_ADMIN');
    const right = totpAt(api, root.totpSecret!);
    const results = await burst([...wrongCodes(root.totpSecret!, 39).map((code) => loginBody(root, root.password, code)), loginBody(root, root.password, right)]);
    const statuses = results.map((r) => r.status);
    const counts = tally(statuses);
    expect({ sessions: counts[200] ?? 0, checkedAtMostFive: (counts[401] ?? 0) <= 5, throttled: (counts[429] ?? 0) >= 35 }).toEqual({
      sessions: 0,
      checkedAtMostFive: true,
      throttled: true,
    });
    expect(results.filter((r) => r.status === 429).every((r) => Number(r.headers.get('retry-after')) >= 1)).toBe(true);
    expect(await sessionsOf(root)).toBe(0);
    // The right password and a fresh code now wait too.
    const after = await call(api, 'POST', '/auth/login', { body: loginBody(root, root.password, totpAt(api, root.totpSecret!, 1)) });
    expect([after.status, Number(after.headers.get('retry-after')) > 0]).toEqual([429, true]);
    expect((await api.services.accounts.get(root.id))?.throttledUntil).not.toBeNull();
  });

  it('counts 30 concurrent wrong passwords against a policy of five: five counted, the rest refused unchecked', async () => {
    const guard = await createAccount(api, 'burst-guard', 'VIEWER', ['school-a']);
    const results = await burst(Array.from({ length: 30 }, (_, i) => loginBody(guard, `wrong-password-${i}`)));
    const counts = tally(results.map((r) => r.status));
    expect({ checkedAtMostFive: (counts[401] ?? 0) <= 5, others: (counts[401] ?? 0) + (counts[429] ?? 0) }).toEqual({ checkedAtMostFive: true, others: 30 });
    const [row] = (await api.dataSource.query('SELECT failed_logins FROM account WHERE id = $1', [guard.id])) as Array<{ failed_logins: number }>;
    expect(row!.failed_logins).toBe(5);
    expect((await call(api, 'POST', '/auth/login', { body: loginBody(guard, guard.password) })).status).toBe(429);
    expect(await sessionsOf(guard)).toBe(0);
  });

  it('spends one TOTP code once: the same code sent three times at once starts exactly one session', async () => {
    const streams = await createAccount(api, 'burst-streams', 'STREAM_ADMIN');
    const code = totpAt(api, streams.totpSecret!);
    const results = await burst([1, 2, 3].map(() => loginBody(streams, streams.password, code)));
    expect(tally(results.map((r) => r.status))[200]).toBe(1);
    expect(await sessionsOf(streams)).toBe(1);
  });
});

describe('a missing one-time code', () => {
  it('does not confirm a right password: the same answer as a wrong password, and it is counted', async () => {
    const head = await createAccount(api, 'quiet-head', 'SCHOOL_ADMIN', ['school-a']);
    const missing = await call(api, 'POST', '/auth/login', { body: loginBody(head, head.password) });
    const wrong = await call(api, 'POST', '/auth/login', { body: loginBody(head, 'not-the-password') });
    expect([missing.status, missing.body.error]).toEqual([wrong.status, wrong.body.error]);
    expect(missing.status).toBe(401);
    const [row] = (await api.dataSource.query('SELECT failed_logins FROM account WHERE id = $1', [head.id])) as Array<{ failed_logins: number }>;
    expect(row!.failed_logins).toBe(2);
    const audit = await api.services.audit.list({ action: 'auth.login', limit: 5 });
    expect(audit.filter((e) => e.actorId === head.id).map((e) => e.result)).toEqual(['bad-password', 'totp-missing']);
  });
});

describe('throttling', () => {
  it('answers an unknown username as it answers a real one, so a 429 does not tell that an account exists', async () => {
    const real = await createAccount(api, 'real-guard', 'VIEWER', ['school-a']);
    const answers = async (username: string) => {
      const out: number[] = [];
      for (let i = 0; i < 7; i++) out.push((await call(api, 'POST', '/auth/login', { body: { username, password: `wrong-${i}` } })).status);
      return out;
    };
    const [known, unknown] = [await answers(real.username), await answers('no-such-user')];
    expect(unknown).toEqual(known);
    expect(known).toEqual([401, 401, 401, 401, 401, 429, 429]);
  });


  it('makes five bad passwords cost a wait that grows, not a lock: the right password works once the wait is over', async () => {
    const only = await createAccount(api, 'only-root', 'SUPER_ADMIN');
    for (let i = 0; i < 5; i++) expect((await call(api, 'POST', '/auth/login', { body: loginBody(only, `wrong-${i}`, '000000') })).status).toBe(401);
    const waiting = await call(api, 'POST', '/auth/login', { body: loginBody(only, only.password, totpAt(api, only.totpSecret!)) });
    expect([waiting.status, waiting.headers.get('retry-after')]).toEqual([429, '60']);
    const base = api.clock.offsetMs;
    try {
      // After the first wait, one more failure doubles the next wait (two minutes), and no more.
      api.clock.offsetMs = base + 61_000;
      expect((await call(api, 'POST', '/auth/login', { body: loginBody(only, 'wrong-again', '000000') })).status).toBe(401);
      const longer = await call(api, 'POST', '/auth/login', { body: loginBody(only, only.password, totpAt(api, only.totpSecret!)) });
      expect([longer.status, longer.headers.get('retry-after')]).toEqual([429, '120']);
      api.clock.offsetMs = base + 61_000 + 121_000;
      const ok = await call(api, 'POST', '/auth/login', { body: loginBody(only, only.password, totpAt(api, only.totpSecret!)) });
      expect(ok.status).toBe(200);
      expect((await api.services.accounts.get(only.id))?.throttledUntil).toBeNull();
    } finally {
      api.clock.offsetMs = base;
    }
    const audit = await api.services.audit.list({ action: 'auth.login', limit: 20 });
    expect(audit.filter((e) => e.actorId === only.id).map((e) => e.result).reverse()).toEqual([
      'bad-password', 'bad-password', 'bad-password', 'bad-password', 'bad-password', 'throttled', 'bad-password', 'throttled', 'ok',
    ]);
  });
});
