// A school's LAN agent token: issued by the school's admin and shown once, stored as a hash, scoped to one school,
// refused once expired or revoked, and never written to a log.
import { createHash } from 'node:crypto';
import { call, createAccount, login, startTestApi, type TestApi } from './fixture.js';

let api: TestApi;
let admin: string;
let root: string;

beforeAll(async () => {
  api = await startTestApi();
  admin = (await login(api, await createAccount(api, 'head-a', 'SCHOOL_ADMIN', ['school-a', 'school-gone']))).accessToken;
  root = (await login(api, await createAccount(api, 'root', 'SUPER_ADMIN'))).accessToken;
});

afterAll(async () => {
  await api?.close();
});

const issue = (body: unknown, school = 'school-a') => call(api, 'POST', `/schools/${school}/agent-tokens`, { token: admin, body });

describe('agent tokens', () => {
  it('are shown once, stored only as a hash, and reach only their school', async () => {
    const issued = await issue({ label: 'gate PC', ttlHours: 2 });
    expect(issued.status).toBe(201);
    const { token, id, createdAt, expiresAt } = issued.body as { token: string; id: string; createdAt: string; expiresAt: string };
    expect(token).toMatch(/^pag_[A-Za-z0-9_-]{43}$/);
    expect(issued.body).toEqual({ id, token, schoolId: 'school-a', label: 'gate PC', issuedBy: 'head-a', createdAt, expiresAt, lastUsedAt: null, revokedAt: null });
    expect(Date.parse(expiresAt) - Date.parse(createdAt)).toBe(2 * 3600_000);

    const rows = (await api.dataSource.query('SELECT * FROM agent_token WHERE id = $1', [id])) as { token_hash: Buffer }[];
    expect(rows[0]!.token_hash.equals(createHash('sha256').update(token).digest())).toBe(true);
    expect(JSON.stringify(rows)).not.toContain(token.slice(4));

    expect((await call(api, 'GET', '/schools/school-a/nvrs', { token })).status).toBe(200);
    expect((await call(api, 'GET', '/schools/school-b/nvrs', { token })).status).toBe(403);
    expect((await call(api, 'GET', '/schools', { token })).body.items.map((s: { id: string }) => s.id)).toEqual(['school-a']);

    const listed = await call(api, 'GET', '/schools/school-a/agent-tokens', { token: root });
    const mine = listed.body.items.find((t: { id: string }) => t.id === id);
    expect(mine).toMatchObject({ id, label: 'gate PC', issuedBy: 'head-a', revokedAt: null, lastUsedAt: expect.any(String) });
    expect(listed.text).not.toContain(token);
    expect(api.logLines().join('\n')).not.toContain(token.slice(4));
  });

  it('are refused once expired, and once revoked, with the reason', async () => {
    const expiring = (await issue({ label: 'short', ttlHours: 1 })).body.token as string;
    api.clock.offsetMs = 61 * 60_000;
    try {
      const expired = await call(api, 'GET', '/schools/school-a', { token: expiring });
      expect([expired.status, expired.body.error]).toEqual([401, 'agent token: expired']);
    } finally {
      api.clock.offsetMs = 0;
    }

    const { token, id } = (await issue({ label: 'to revoke' })).body as { token: string; id: string };
    expect((await call(api, 'GET', '/schools/school-a', { token })).status).toBe(200);
    const revoked = await call(api, 'DELETE', `/schools/school-a/agent-tokens/${id}`, { token: admin });
    expect([revoked.status, revoked.body.revokedAt]).toEqual([200, expect.any(String)]);
    const refused = await call(api, 'GET', '/schools/school-a', { token });
    expect([refused.status, refused.body.error]).toEqual([401, 'agent token: revoked']);
    // Revoking twice changes nothing; an unknown token is invalid.
    expect((await call(api, 'DELETE', `/schools/school-a/agent-tokens/${id}`, { token: admin })).body.revokedAt).toBe(revoked.body.revokedAt);
    const unknown = await call(api, 'GET', '/schools/school-a', { token: 'pag_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
    expect([unknown.status, unknown.body.error]).toEqual([401, 'agent token: invalid']);

    const audit = await call(api, 'GET', '/audit?schoolId=school-a&limit=100', { token: root });
    const actions = (audit.body.items as { action: string; actorType: string; params: { agent?: string } }[])
      .filter((e) => e.params.agent === id)
      .map((e) => [e.actorType, e.action]);
    expect(actions).toEqual([
      ['user', 'agent-token.revoke'],
      ['user', 'agent-token.revoke'],
      ['user', 'agent-token.issue'],
    ]);
  });

  it('refuses bad input naming the field, and a school that does not exist', async () => {
    const tooLong = await issue({ label: 'x', ttlHours: 48 });
    expect([tooLong.status, tooLong.body]).toEqual([400, { error: 'ttlHours: at most 24', field: 'ttlHours', requestId: tooLong.headers.get('x-request-id') }]);
    const noLabel = await issue({ label: '  ' });
    expect([noLabel.status, noLabel.body.error]).toEqual([400, 'label: required']);
    const gone = await issue({ label: 'x' }, 'school-gone');
    expect([gone.status, gone.body]).toEqual([404, { error: 'schoolId: no school school-gone', field: 'schoolId', requestId: gone.headers.get('x-request-id') }]);
    const foreign = await issue({ label: 'x' }, 'school-b');
    expect([foreign.status, foreign.body]).toEqual([
      403,
      { error: "schoolId: school school-b is outside this account's scope", field: 'schoolId', requestId: foreign.headers.get('x-request-id') },
    ]);
    const badId = await call(api, 'DELETE', '/schools/school-a/agent-tokens/not-a-uuid', { token: admin });
    expect([badId.status, badId.body.error]).toEqual([400, 'tokenId: must be an agent token id (UUID)']);
  });

  it('are capped per school while live, and a revoked one frees its place', async () => {
    const live = Number((await api.dataSource.query("SELECT count(*) AS n FROM agent_token WHERE school_id = 'school-a' AND revoked_at IS NULL AND expires_at > now()"))[0].n);
    const ids: string[] = [];
    for (let i = live; i < 20; i++) ids.push((await issue({ label: `pc-${i}` })).body.id);
    const refused = await issue({ label: 'one too many' });
    expect([refused.status, refused.body]).toEqual([
      409,
      { error: 'schoolId: school-a already has 20 live agent tokens; revoke one first', field: 'schoolId', requestId: refused.headers.get('x-request-id') },
    ]);
    expect((await call(api, 'DELETE', `/schools/school-a/agent-tokens/${ids[0]}`, { token: admin })).status).toBe(200);
    expect((await issue({ label: 'in its place' })).status).toBe(201);
  });
});
