// Pairing the LAN agent against the real API and PostgreSQL: a code works once; a spent, expired or guessed code is
// refused and audited, and guessing from one address is throttled; refresh tokens rotate, a spent one shown again
// revokes the agent; an admin's revocation stops it at its next call. The agent side stores its tokens 0600.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentSession, pairAgent, type StoredCredentials } from '../../agent/credentials.js';
import { call, createAccount, login, startTestApi, type TestAccount, type TestApi } from './fixture.js';

let api: TestApi;
let headA: TestAccount;
let rootAccount: TestAccount;
let dir: string;

beforeAll(async () => {
  api = await startTestApi();
  headA = await createAccount(api, 'pair-head-a', 'SCHOOL_ADMIN', ['school-a']);
  rootAccount = await createAccount(api, 'pair-root', 'SUPER_ADMIN');
  dir = await mkdtemp(join(tmpdir(), 'posbon-pairing-'));
});

afterAll(async () => {
  await api?.close();
});

afterEach(() => {
  api.clock.offsetMs = 0;
});

// One login per account and clock position: a TOTP code is accepted once.
const logins = new Map<string, Promise<string>>();
const tokenOf = (account: TestAccount) => {
  const key = `${account.username}@${api.clock.offsetMs}`;
  if (!logins.has(key)) logins.set(key, login(api, account).then((t) => t.accessToken));
  return logins.get(key)!;
};
const admin = () => tokenOf(headA);
const newCode = async (token: string, school = 'school-a') => call(api, 'POST', `/schools/${school}/agent-pairing-codes`, { token });
const pair = (code: string) => call(api, 'POST', '/agent/pair', { body: { code, label: 'office PC' } });
const pairEntries = async () => {
  const root = await tokenOf(rootAccount);
  const listed = await call(api, 'GET', '/audit?action=agent.pair&limit=200', { token: root });
  return listed.body.items as { result: string; schoolId: string | null; actorType: string; params: Record<string, unknown> }[];
};

describe('agent pairing', () => {
  it('a code works once, stored as a hash; the agent keeps its tokens in a file only its user reads', async () => {
    const token = await admin();
    const created = await newCode(token);
    expect(created.status).toBe(201);
    const { code, expiresAt } = created.body as { code: string; expiresAt: string };
    expect(created.body).toEqual({ code, schoolId: 'school-a', expiresAt });
    expect(code).toMatch(/^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$/);
    const rows = (await api.dataSource.query('SELECT code_hash, created_at, expires_at FROM agent_pairing_code')) as { code_hash: Buffer; created_at: Date; expires_at: Date }[];
    const row = rows.find((r) => r.code_hash.equals(createHash('sha256').update(code.replace('-', '')).digest()));
    expect(row!.expires_at.getTime() - row!.created_at.getTime()).toBe(10 * 60_000);

    const path = join(dir, 'once', 'agent.json');
    const paired = await pairAgent({ apiUrl: api.url, code: code.toLowerCase(), label: 'office PC', path });
    expect(paired).toEqual({ schoolId: 'school-a', agentId: expect.any(String), path });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(await readFile(path, 'utf8')) as StoredCredentials;
    expect(stored.accessToken).toMatch(/^pag_/);
    expect(stored.refreshToken).toMatch(/^prt_/);
    expect(Date.parse(stored.accessExpiresAt) - Date.now()).toBeLessThanOrEqual(15 * 60_000);

    expect((await call(api, 'GET', '/schools/school-a', { token: stored.accessToken })).status).toBe(200);
    expect((await call(api, 'GET', '/schools/school-b', { token: stored.accessToken })).status).toBe(403);
    expect((await call(api, 'GET', '/audit', { token: stored.accessToken })).status).toBe(403);

    const again = await pair(code);
    expect([again.status, again.body.error]).toEqual([401, 'pairing code: unknown, used or expired; ask the school admin for a new one']);
    const entries = await pairEntries();
    expect(entries.filter((e) => e.schoolId === 'school-a').map((e) => e.result).slice(0, 2)).toEqual(['used', 'ok']);
    expect(JSON.stringify(entries)).not.toContain(code.replace('-', ''));
    expect(api.logLines().join('\n')).not.toContain(stored.refreshToken.slice(4));
    expect(api.logLines().join('\n')).not.toContain(stored.accessToken.slice(4));
  });

  it('refuses and audits an expired code', async () => {
    const { code } = (await newCode(await admin())).body as { code: string };
    api.clock.offsetMs = 10 * 60_000 + 1000;
    const late = await pair(code);
    expect(late.status).toBe(401);
    api.clock.offsetMs = 0;
    expect((await pairEntries())[0]).toMatchObject({ result: 'expired', schoolId: 'school-a', actorType: 'agent' });
  });

  it('rotates refresh tokens; a spent one shown again revokes the agent and its current tokens', async () => {
    const { code } = (await newCode(await admin())).body as { code: string };
    const path = join(dir, 'rotate', 'agent.json');
    await pairAgent({ apiUrl: api.url, code, label: 'office PC', path });
    const first = JSON.parse(await readFile(path, 'utf8')) as StoredCredentials;

    // Fourteen minutes on, the session renews by itself and rewrites the file, still 0600.
    api.clock.offsetMs = 14 * 60_000 + 30_000;
    const session = await AgentSession.open(path, () => Date.now() + api.clock.offsetMs);
    const renewed = await session.accessToken();
    expect(renewed).not.toBe(first.accessToken);
    const second = JSON.parse(await readFile(path, 'utf8')) as StoredCredentials;
    expect([second.accessToken, second.refreshToken === first.refreshToken, (await stat(path)).mode & 0o777]).toEqual([renewed, false, 0o600]);
    expect((await call(api, 'GET', '/schools/school-a', { token: renewed })).status).toBe(200);
    const old = await call(api, 'GET', '/schools/school-a', { token: first.accessToken });
    expect([old.status, old.body.error]).toEqual([401, 'agent token: revoked']);

    const reused = await call(api, 'POST', '/agent/refresh', { body: { refreshToken: first.refreshToken } });
    expect(reused.status).toBe(401);
    expect((await call(api, 'GET', '/schools/school-a', { token: renewed })).status).toBe(401);
    expect((await call(api, 'POST', '/agent/refresh', { body: { refreshToken: second.refreshToken } })).status).toBe(401);

    api.clock.offsetMs = 0;
    const root = await tokenOf(rootAccount);
    const refreshes = (await call(api, 'GET', '/audit?action=agent.refresh&limit=10', { token: root })).body.items as { result: string }[];
    expect(refreshes.slice(0, 3).map((e) => e.result)).toEqual(['revoked', 'reuse', 'ok']);
    const listed = (await call(api, 'GET', '/schools/school-a/agents', { token: await admin() })).body.items as { id: string; revokedReason: string | null }[];
    expect(listed.find((a) => a.id === second.agentId)?.revokedReason).toBe('refresh-token-reuse');
  });

  it('an admin\'s revocation stops the agent at its next call', async () => {
    const token = await admin();
    const { code } = (await newCode(token)).body as { code: string };
    const path = join(dir, 'revoke', 'agent.json');
    const { agentId } = await pairAgent({ apiUrl: api.url, code, label: 'library PC', path });
    const stored = JSON.parse(await readFile(path, 'utf8')) as StoredCredentials;
    expect((await call(api, 'GET', '/schools/school-a/nvrs', { token: stored.accessToken })).status).toBe(200);

    const listed = await call(api, 'GET', '/schools/school-a/agents', { token });
    expect(listed.body.items[0]).toEqual({
      id: agentId,
      schoolId: 'school-a',
      label: 'library PC',
      pairedBy: 'pair-head-a',
      createdAt: expect.any(String),
      expiresAt: expect.any(String),
      lastRefreshedAt: null,
      revokedAt: null,
      revokedReason: null,
    });
    expect(listed.text).not.toContain(stored.accessToken);

    const revoked = await call(api, 'DELETE', `/schools/school-a/agents/${agentId}`, { token });
    expect([revoked.status, revoked.body.revokedReason]).toEqual([200, 'revoked-by-admin']);
    const refused = await call(api, 'GET', '/schools/school-a/nvrs', { token: stored.accessToken });
    expect([refused.status, refused.body.error]).toEqual([401, 'agent token: revoked']);
    expect((await call(api, 'POST', '/agent/refresh', { body: { refreshToken: stored.refreshToken } })).status).toBe(401);

    // Another school's admin cannot see or revoke it, nor make codes for school-a.
    const headB = (await login(api, await createAccount(api, 'pair-head-b', 'SCHOOL_ADMIN', ['school-b']))).accessToken;
    expect((await call(api, 'DELETE', `/schools/school-a/agents/${agentId}`, { token: headB })).status).toBe(403);
    expect((await newCode(headB, 'school-a')).status).toBe(403);
    expect((await call(api, 'DELETE', `/schools/school-b/agents/${agentId}`, { token: headB })).status).toBe(404);
  });

  it('refuses 20 wrong guesses from one address, throttling after five, and audits each', async () => {
    // Two hours on: the failures of the tests above are outside the window.
    api.clock.offsetMs = 2 * 3600_000;
    const { code } = (await newCode(await admin())).body as { code: string };
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await pair(`ZZZZ-${String(2222 + i).replace(/[01]/g, '2')}`)).status);
    expect(statuses).toEqual([...Array(5).fill(401), ...Array(15).fill(429)]);
    const throttled = await pair(code);
    expect([throttled.status, throttled.body.error, Number(throttled.headers.get('retry-after')) > 0]).toEqual([
      429,
      'pairing code: too many failed attempts from this address; wait and try again',
      true,
    ]);
    const bad = await call(api, 'POST', '/agent/pair', { body: { code: 'O0I1-L000' } });
    expect([bad.status, bad.body.error]).toEqual([400, 'code: must be the 8-character code the school admin shows (XXXX-XXXX)']);

    const entries = (await pairEntries()).slice(0, 21);
    expect(entries.map((e) => e.result)).toEqual([...Array(16).fill('throttled'), ...Array(5).fill('unknown')]);
    expect(entries.every((e) => e.params.address === '127.0.0.1' && e.actorType === 'agent')).toBe(true);

    // The window passes; a fresh code from the admin works again from that address.
    api.clock.offsetMs += 16 * 60_000;
    const fresh = (await newCode(await admin())).body as { code: string };
    expect((await pair(fresh.code)).status).toBe(201);
  });
});
