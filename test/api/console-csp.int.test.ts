// The console's Content-Security-Policy names the fleet's media nodes, and follows the fleet when a node is added.
import type { MemoryFleetSource } from '../../api/admin/fleet-view/source.js';
import { node, startTestApi, twoSchoolFleet, type TestApi } from './fixture.js';

const connectSrc = async (api: TestApi): Promise<string | undefined> => {
  const res = await fetch(`${api.url}/healthz`);
  await res.arrayBuffer();
  return /(?:^|;)connect-src ([^;]*)/.exec(res.headers.get('content-security-policy') ?? '')?.[1];
};

describe('the console CSP', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api?.close();
  });

  test('allows the media nodes of the fleet as it is now, the same on every request', async () => {
    const before = "'self' https://node-a.media.example.org https://node-b.media.example.org";
    expect(await connectSrc(api)).toBe(before);
    expect(await connectSrc(api)).toBe(before);

    const fleet = twoSchoolFleet();
    fleet.nodes.push(node('node-c', 'r1', '198.51.100.12'));
    (api.source as MemoryFleetSource).replace(fleet);
    api.services.fleet.rebuild();
    expect(await connectSrc(api)).toBe(
      "'self' https://node-a.media.example.org https://node-b.media.example.org https://node-c.media.example.org",
    );
  });
});
