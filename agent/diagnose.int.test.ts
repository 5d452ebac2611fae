// The diagnostic report against the real API: it names the school's public address as the API saw it, the clock
// skew, the media node and each NVR's test; it holds no token or password although both were in the agent's hands
// (the control check proves the scan would see them); uploaded, it is audited and readable by that school's admins
// only.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { call, createAccount, login, startTestApi, type TestApi } from '../test/api/fixture.js';
import { addressGuess } from './diagnose/report.js';

const run = promisify(execFile);
let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
});

afterAll(async () => {
  await api?.close();
});

describe('diagnose', () => {
  it('guesses NAT and CGNAT from the address the API sees', () => {
    expect(['100.64.1.2', '100.127.255.1', '10.1.2.3', '::ffff:192.168.1.9', '203.0.113.9', 'fe80::1'].map(addressGuess)).toEqual(['cgnat', 'cgnat', 'private', 'private', 'public', 'unknown']);
  });

  it('writes a redacted report, uploads it (audited) and shows it to the school\'s admins only', async () => {
    const head = (await login(api, await createAccount(api, 'diag-head-a', 'SCHOOL_ADMIN', ['school-a']))).accessToken;
    const headB = (await login(api, await createAccount(api, 'diag-head-b', 'SCHOOL_ADMIN', ['school-b']))).accessToken;
    const agentToken = (await call(api, 'POST', '/schools/school-a/agent-tokens', { token: head, body: { label: 'office PC' } })).body.token as string;
    const password = 'Nvr-secret-password-123';
    const out = join(await mkdtemp(join(tmpdir(), 'posbon-diag-')), 'report.json');
    const env = { ...process.env, POSBON_API_URL: api.url, POSBON_AGENT_TOKEN: agentToken, POSBON_NVR_PASSWORD: password };
    const { stdout } = await run(join(process.cwd(), 'node_modules/.bin/tsx'), [join(process.cwd(), 'agent/cli/bin.ts'), 'diagnose', '--school', 'school-a', '--out', out, '--upload', '--json'], { env, timeout: 120_000 });
    const printed = JSON.parse(stdout) as { report: Record<string, unknown>; uploaded: { id: string } };
    const written = JSON.parse(await readFile(out, 'utf8'));
    expect(written).toEqual(printed.report);
    expect(written).toMatchObject({
      schoolId: 'school-a',
      publicAddress: { seenByApi: '127.0.0.1', guess: 'private' },
      clock: { ok: true },
      mediaNode: { name: 'node-a', webrtc: expect.stringMatching(/^unreachable|^answers/), hls: expect.stringMatching(/^unreachable|^answers/) },
      nvrs: [{ id: 'gate-a', ok: false, reason: expect.any(String) }],
      cameras: [{ path: expect.any(String), whep: expect.any(String), hls: expect.any(String) }],
    });
    // Control: the token and password were in the agent's environment; neither is in any copy of the report.
    expect(JSON.stringify(env)).toContain(agentToken);
    for (const copy of [stdout, JSON.stringify(written)]) {
      expect(copy).not.toContain(agentToken.slice(4));
      expect(copy).not.toContain(password);
    }

    const listed = await call(api, 'GET', '/schools/school-a/diagnostics', { token: head });
    expect(listed.body.items[0]).toEqual({ id: printed.uploaded.id, schoolId: 'school-a', uploadedBy: expect.stringMatching(/^agent:/), clientAddress: '127.0.0.1', createdAt: expect.any(String), report: written });
    expect((await call(api, 'GET', '/schools/school-a/diagnostics', { token: headB })).status).toBe(403);
    expect((await call(api, 'GET', '/schools/school-a/diagnostics', { token: agentToken })).status).toBe(403);
    const audit = await call(api, 'GET', '/audit?action=agent.diagnostics', { token: head });
    expect(audit.body.items[0]).toMatchObject({ actorType: 'agent', schoolId: 'school-a', params: { report: printed.uploaded.id }, result: 'ok' });
  });
});
