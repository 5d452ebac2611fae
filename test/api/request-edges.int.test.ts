// What reaches the API from a browser or through a proxy: forged cross-site writes, and spoofed client addresses.
import { randomBytes } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import { apiConfig } from '../../api/admin/config.js';
import { testDatabase } from '../harness/index.js';
import { startTestIngress, type TestIngress } from '../webhook/ingress.js';
import { call, createAccount, faceIdDevice, startTestApi, totpAt, twoSchoolFleet, type TestApi } from './fixture.js';

describe('cookie-authenticated writes from other sites', () => {
  const keys = { tokenHashKey: randomBytes(32) };
  let ingress: TestIngress;
  let api: TestApi;
  let cookie: string;
  let agentToken: string;

  beforeAll(async () => {
    const databaseUrl = await testDatabase('forgery');
    ingress = await startTestIngress(databaseUrl, { keys: { ...keys, sealingKey: randomBytes(32) } });
    // Production: tokens travel only in cookies, as a browser holds them.
    const fleet = {
      ...twoSchoolFleet(),
      faceIdDevices: ['gw-1', 'gate-1', 'dh-1'].map((name, i) =>
        faceIdDevice(name, 'school-a', i === 2 ? 'dahua' : 'hikvision', `SN-000${i}`),
      ),
    };
    api = await startTestApi({
      databaseUrl,
      fleet,
      webhook: { publicUrl: ingress.base, keys },
      http: { production: true, corsOrigins: ['https://admin.posbon.example'] },
    });
    const head = await createAccount(api, 'head-a', 'SCHOOL_ADMIN', ['school-a']);
    const res = await call(api, 'POST', '/auth/login', {
      body: {
        username: head.username,
        password: head.password,
        ...(head.totpSecret ? { totp: totpAt(api, head.totpSecret) } : {}),
      },
    });
    expect(res.status).toBe(200);
    cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0]!)
      .join('; ');
    agentToken = (
      await call(api, 'POST', '/schools/school-a/agent-tokens', { headers: { cookie }, body: { label: 'door PC' } })
    ).body.token;
  });
  afterAll(async () => {
    await api?.close();
    await ingress?.close();
  });

  const rotate = (headers: Record<string, string>, body = '{}', device = 'gw-1') =>
    fetch(`${api.url}/schools/school-a/faceid-devices/${device}/webhook-credential`, {
      method: 'POST',
      headers,
      body,
    }).then(async (res) => ({
      status: res.status,
      body: (await res.json()) as { error?: string; rotated?: boolean },
    }));

  it("refuses what an HTML form can send with 415, and other sites' pages with 403, before anything is issued", async () => {
    const refused = [
      await rotate({ cookie, 'content-type': 'text/plain' }, ''),
      await rotate({ cookie, 'content-type': 'application/x-www-form-urlencoded' }, 'overlapHours=0'),
      await rotate({ cookie, 'content-type': 'multipart/form-data; boundary=x' }, '--x--'),
      await rotate({ cookie, 'content-type': 'application/json', origin: 'https://evil.example' }),
      await rotate({ cookie, 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' }),
      await rotate({ cookie, 'content-type': 'application/json', 'sec-fetch-site': 'same-site' }),
    ];
    expect(refused.map((r) => [r.status, r.body.error])).toEqual([
      ...Array(3).fill([415, 'content-type: a request that changes something must be sent as application/json']),
      ...Array(3).fill([
        403,
        'origin: cross-site requests are refused; send a Bearer token or use the API from its own origin',
      ]),
    ]);
    // Nothing was issued by the refused requests: the first one let through issues, it does not rotate.
    const own = await rotate({
      cookie,
      'content-type': 'application/json',
      origin: api.url,
      'sec-fetch-site': 'same-origin',
    });
    expect([own.status, own.body.rotated]).toEqual([201, false]);
  });

  it('reads a cookie that is not valid percent-encoding as a wrong token, not as a server error', async () => {
    const res = await call(api, 'GET', '/me', { headers: { cookie: 'theme=dark; posbon_access=%E0%A4%A' } });
    expect(res.status).toBe(401);
  });

  it('takes the allowed console origin, and Bearer tokens from anywhere', async () => {
    const console = await rotate(
      {
        cookie,
        'content-type': 'application/json',
        origin: 'https://admin.posbon.example',
        'sec-fetch-site': 'same-site',
      },
      '{}',
      'gate-1',
    );
    const agent = await rotate(
      { authorization: `Bearer ${agentToken}`, 'content-type': 'application/json', origin: 'https://evil.example' },
      '{}',
      'dh-1',
    );
    expect([console.status, agent.status]).toEqual([201, 201]);
  });

  it('refuses a forged login the same way', async () => {
    const form = await fetch(`${api.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{"username":"head-a","password":"x"}',
    });
    const site = await fetch(`${api.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
      body: '{"username":"head-a","password":"x"}',
    });
    expect([form.status, site.status]).toEqual([415, 403]);
  });
});

describe('the login rate limit and X-Forwarded-For', () => {
  const ATTEMPTS = 8;
  const LIMIT = 3;
  let databaseUrl: string;
  beforeAll(async () => {
    databaseUrl = await testDatabase('xff');
  });

  /** Logins of an unknown user, each claiming another client address; the statuses in order. */
  async function spoofedLogins(url: string): Promise<number[]> {
    const statuses: number[] = [];
    for (let i = 0; i < ATTEMPTS; i++) {
      const res = await fetch(`${url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': `198.51.100.${i + 1}` },
        body: JSON.stringify({ username: 'nobody', password: `guess-${i}` }),
      });
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    return statuses;
  }

  const expected = [...Array(LIMIT).fill(401), ...Array(ATTEMPTS - LIMIT).fill(429)];

  it('holds with the default setting (no proxy trusted)', async () => {
    const api = await startTestApi({
      databaseUrl,
      http: { loginPerMinute: LIMIT, trustProxy: apiConfig({}).trustProxy },
    });
    try {
      expect(await spoofedLogins(api.url)).toEqual(expected);
    } finally {
      await api.close();
    }
  });

  it('holds behind one ingress hop that appends the client address, as ingress-nginx does', async () => {
    const api = await startTestApi({
      databaseUrl,
      http: { loginPerMinute: LIMIT, trustProxy: apiConfig({ POSBON_TRUST_PROXY: '1' }).trustProxy },
    });
    const target = new URL(api.url);
    const ingress: Server = createServer((req, res) => {
      const forwarded = [req.headers['x-forwarded-for'], req.socket.remoteAddress].filter(Boolean).join(', ');
      const upstream = request(
        {
          host: target.hostname,
          port: target.port,
          path: req.url,
          method: req.method,
          headers: { ...req.headers, 'x-forwarded-for': forwarded },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => ingress.listen(0, '127.0.0.1', resolve));
    const address = ingress.address();
    try {
      expect(
        await spoofedLogins(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`),
      ).toEqual(expected);
    } finally {
      ingress.closeAllConnections();
      await new Promise((resolve) => ingress.close(resolve));
      await api.close();
    }
  });
});
