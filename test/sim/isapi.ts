// A Hikvision access terminal's ISAPI, as much as provisioning touches (ISAPI 2.0 XML over HTTP with Digest auth,
// RFC 7616 MD5 with qop=auth): device information and the HTTP host it pushes events to. `push` sends an event the
// way the terminal does once configured: multipart/form-data with the event JSON part, to hostName:portNo + url.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const NS = 'http://www.isapi.org/ver20/XMLSchema';
const md5 = (text: string) => createHash('md5').update(text).digest('hex');
const element = (xml: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];

export interface IsapiSimulator {
  url: string;
  port: number;
  /** The HTTP host configuration as the terminal stored it (id 1), or undefined before any PUT. */
  httpHost(): Record<string, string> | undefined;
  /** Requests seen: method, path, and whether their Digest answer verified. */
  requests: { method: string; path: string; authenticated: boolean }[];
  /** Pushes one access event to the configured host; resolves with the answer's status. */
  push(event: Record<string, unknown>): Promise<number>;
  stop(): Promise<void>;
}

export async function startIsapiSimulator(options: { username: string; password: string; serialNumber: string; model: string; host?: string; port?: number }): Promise<IsapiSimulator> {
  const realm = 'DS-K1T671';
  const nonces = new Set<string>();
  let stored: string | undefined;
  const requests: IsapiSimulator['requests'] = [];

  const verified = (req: IncomingMessage): boolean => {
    const header = req.headers.authorization ?? '';
    if (!header.startsWith('Digest ')) return false;
    const params = new Map([...header.slice(7).matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]+))/g)].map((m) => [m[1]!, m[2] ?? m[3] ?? '']));
    const nonce = params.get('nonce') ?? '';
    if (!nonces.has(nonce) || params.get('username') !== options.username || params.get('uri') !== req.url) return false;
    const ha1 = md5(`${options.username}:${realm}:${options.password}`);
    const ha2 = md5(`${req.method}:${req.url}`);
    const expected = md5(`${ha1}:${nonce}:${params.get('nc')}:${params.get('cnonce')}:${params.get('qop')}:${ha2}`);
    return params.get('qop') === 'auth' && params.get('response') === expected;
  };

  const status = (res: ServerResponse, code: number, statusCode: number, subStatus: string) =>
    res
      .writeHead(code, { 'content-type': 'application/xml' })
      .end(`<?xml version="1.0" encoding="UTF-8"?><ResponseStatus version="2.0" xmlns="${NS}"><requestURL></requestURL><statusCode>${statusCode}</statusCode><statusString>${subStatus === 'ok' ? 'OK' : 'Invalid Content'}</statusString><subStatusCode>${subStatus}</subStatusCode></ResponseStatus>`);

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const authenticated = verified(req);
      requests.push({ method: req.method ?? '', path, authenticated });
      if (!authenticated) {
        const nonce = randomBytes(16).toString('hex');
        nonces.add(nonce);
        res.writeHead(401, { server: 'webserver', 'www-authenticate': `Digest qop="auth", realm="${realm}", nonce="${nonce}", stale="FALSE"` }).end();
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      if (req.method === 'GET' && path === '/ISAPI/System/deviceInfo') {
        res
          .writeHead(200, { 'content-type': 'application/xml' })
          .end(`<?xml version="1.0" encoding="UTF-8"?><DeviceInfo version="2.0" xmlns="${NS}"><deviceName>Door</deviceName><model>${options.model}</model><serialNumber>${options.serialNumber}</serialNumber><firmwareVersion>V3.2.30</firmwareVersion><deviceType>ACS</deviceType></DeviceInfo>`);
      } else if (path === '/ISAPI/Event/notification/httpHosts/1' && req.method === 'PUT') {
        if (!element(body, 'url') || !element(body, 'hostName') || !element(body, 'portNo')) return status(res, 400, 6, 'badXmlContent');
        stored = body;
        status(res, 200, 1, 'ok');
      } else if (path === '/ISAPI/Event/notification/httpHosts/1' && req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'application/xml' }).end(stored ?? `<HttpHostNotification version="2.0" xmlns="${NS}"><id>1</id></HttpHostNotification>`);
      } else {
        status(res, 404, 4, 'notSupport');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const httpHost = () => {
    if (!stored) return undefined;
    const fields: Record<string, string> = {};
    for (const name of ['id', 'url', 'protocolType', 'parameterFormatType', 'addressingFormatType', 'hostName', 'portNo', 'httpAuthenticationMethod']) {
      const value = element(stored, name);
      if (value !== undefined) fields[name] = value;
    }
    return fields;
  };

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    httpHost,
    requests,
    async push(event) {
      const host = httpHost();
      if (!host) throw new Error('no HTTP host configured');
      const boundary = `---------------------------${randomBytes(6).toString('hex')}`;
      const body =
        `--${boundary}\r\nContent-Disposition: form-data; name="event_log"\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(event)}\r\n--${boundary}--\r\n`;
      const scheme = host.protocolType === 'HTTPS' ? 'https' : 'http';
      const response = await fetch(`${scheme}://${host.hostName}:${host.portNo}${host.url}`, {
        method: 'POST',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        body,
      });
      await response.arrayBuffer();
      return response.status;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
