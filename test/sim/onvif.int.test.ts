// The ONVIF simulator itself: WS-Security digest rules and the WS-Discovery responder, on a test host.
import { createHash, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { createTestHost, type Service, type TestHost } from '../harness/index.js';
import { spawnOnvifSimulator } from './onvif.js';

const HOST_IP = '198.51.100.30';
const tsx = join(process.cwd(), 'node_modules/.bin/tsx');

function usernameToken(password: string, nonce = randomBytes(16), created = new Date().toISOString()): string {
  const digest = createHash('sha1').update(Buffer.concat([nonce, Buffer.from(created), Buffer.from(password)])).digest('base64');
  return (
    `<s:Header><Security xmlns="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"><UsernameToken><Username>admin</Username>` +
    `<Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">${digest}</Password>` +
    `<Nonce>${nonce.toString('base64')}</Nonce><Created xmlns="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">${created}</Created>` +
    `</UsernameToken></Security></s:Header>`
  );
}

const call = (header: string) =>
  fetch(`http://${HOST_IP}/onvif/device_service`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/soap+xml' },
    body: `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">${header}<s:Body><GetDeviceInformation xmlns="http://www.onvif.org/ver10/device/wsdl"/></s:Body></s:Envelope>`,
  });

describe('ONVIF simulator', () => {
  let host: TestHost;
  let simulator: Service;

  beforeAll(async () => {
    host = await createTestHost('onvif', HOST_IP);
    simulator = await spawnOnvifSimulator(
      { netns: host.netns, ip: HOST_IP },
      { port: 80, username: 'admin', password: 'pw-1', discovery: true, sources: [] },
    );
  }, 60_000);

  afterAll(async () => {
    await simulator?.stop();
    await host?.destroy();
  });

  test('answers a valid PasswordDigest and refuses a missing, wrong, stale or replayed one with ter:NotAuthorized', async () => {
    const nonce = randomBytes(16);
    const created = new Date().toISOString();
    const ok = await call(usernameToken('pw-1', nonce, created));
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('<tds:Model>SimNVR-8</tds:Model>');
    const refusals = await Promise.all([
      call(''),
      call(usernameToken('wrong')),
      call(usernameToken('pw-1', randomBytes(16), new Date(Date.now() - 10 * 60_000).toISOString())),
      call(usernameToken('pw-1', nonce, created)),
    ]);
    expect(refusals.map((r) => r.status)).toEqual([400, 400, 400, 400]);
    for (const r of refusals) expect(await r.text()).toContain('<s:Value>ter:NotAuthorized</s:Value>');
  });

  test('answers a unicast WS-Discovery Probe with ProbeMatches naming its device service', async () => {
    const socket = createSocket('udp4');
    const messageId = 'urn:uuid:11111111-2222-3333-4444-555555555555';
    const reply = new Promise<string>((resolve) => socket.once('message', (m) => resolve(m.toString())));
    socket.send(
      `<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing">` +
        `<s:Header><a:MessageID>${messageId}</a:MessageID><a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action></s:Header>` +
        `<s:Body><Probe xmlns="http://schemas.xmlsoap.org/ws/2005/04/discovery"><Types>dn:NetworkVideoTransmitter</Types></Probe></s:Body></s:Envelope>`,
      3702,
      HOST_IP,
    );
    const xml = await reply;
    socket.close();
    expect(xml).toContain(`<a:RelatesTo>${messageId}</a:RelatesTo>`);
    expect(xml).toContain(`<d:XAddrs>http://${HOST_IP}:80/onvif/device_service</d:XAddrs>`);
    expect(xml).toContain('<d:Types>dn:NetworkVideoTransmitter</d:Types>');
  });

  test('is found by the onvif package multicast discovery run on its network', async () => {
    const { stdout } = await host.exec(tsx, [join(process.cwd(), 'test/sim/discover-cli.ts')]);
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({ errors: null, xaddrs: [`http://${HOST_IP}:80/onvif/device_service`] });
  });
});
