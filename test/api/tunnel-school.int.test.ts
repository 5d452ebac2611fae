// What a tunnel school's admin and agent read about where its gateway connects: the node's side, never a private key.
import { call, createAccount, login, node, school, startTestApi, type TestApi } from './fixture.js';

describe('a tunnel school in the admin API', () => {
  let api: TestApi;
  let token: string;

  beforeAll(async () => {
    const tunnelSchool = school('school-t', 'r1', 'node-a');
    tunnelSchool.spec.networkMode = 'tunnel';
    tunnelSchool.spec.tunnel = { publicKey: 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=', expose: ['192.168.10.0/28'], persistentKeepalive: 25 };
    api = await startTestApi({ fleet: { nodes: [node('node-a', 'r1', '198.51.100.1')], schools: [tunnelSchool, school('school-p', 'r1', 'node-a')], nvrs: [] } });
    token = (await login(api, await createAccount(api, 'root', 'SUPER_ADMIN'))).accessToken;
  });
  afterAll(async () => {
    await api?.close();
  });

  it('shows where the gateway connects, from the plan before the operator has written status', async () => {
    const res = await call(api, 'GET', '/schools/school-t', { token });
    expect(res.status).toBe(200);
    expect(res.body.tunnel).toEqual({
      mediaNode: 'node-a',
      address: expect.stringMatching(/^10\.255\.\d+\.\d+$/),
      nodeAddress: '10.255.0.1',
      endpoint: '198.51.100.1:51820',
      nodePublicKey: null,
      lastHandshake: null,
    });
    expect(res.body.tunnel.address).not.toBe('10.255.0.1');
  });

  it('shows no tunnel for a school in public mode', async () => {
    expect((await call(api, 'GET', '/schools/school-p', { token })).body.tunnel).toBeNull();
  });
});
