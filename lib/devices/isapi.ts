// A Hikvision terminal's ISAPI from the school LAN (ISAPI 2.0: XML over HTTP, Digest auth): who the device is, and
// the HTTP host it pushes access events to (FACTS.md: PUT /ISAPI/Event/notification/httpHosts/{id}).
import { authorization } from './digest.js';
import { parseXml, textOf } from './xml.js';

export class IsapiRefused extends Error {
  constructor(
    readonly reason: 'AuthFailed' | 'Unreachable' | 'Rejected',
    message: string,
  ) {
    super(message);
  }
}

const element = (xml: string, name: string): string | undefined => textOf(parseXml(xml), name);
const xmlText = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export interface HttpHost {
  /** Path and query the terminal posts to (carries the device's token). */
  url: string;
  protocolType: 'HTTP' | 'HTTPS';
  hostName: string;
  portNo: number;
}

export class IsapiClient {
  constructor(
    private readonly base: string,
    private readonly credentials: { username: string; password: string },
  ) {}

  /** One request, answering the Digest challenge of the first attempt. */
  private async request(method: 'GET' | 'PUT', path: string, body?: string): Promise<string> {
    const send = async (auth?: string) => {
      try {
        return await fetch(`${this.base}${path}`, {
          method,
          headers: { ...(auth ? { authorization: auth } : {}), ...(body ? { 'content-type': 'application/xml' } : {}) },
          ...(body ? { body } : {}),
          signal: AbortSignal.timeout(10_000),
        });
      } catch (error) {
        throw new IsapiRefused('Unreachable', `${this.base}: ${(error as Error).message}`);
      }
    };
    let response = await send();
    if (response.status === 401) {
      await response.arrayBuffer();
      const challenges = response.headers.get('www-authenticate');
      const auth = challenges ? authorization([challenges], method, path, this.credentials) : undefined;
      if (!auth) throw new IsapiRefused('AuthFailed', `${this.base} asks for an authentication this agent does not speak`);
      response = await send(auth);
      if (response.status === 401) throw new IsapiRefused('AuthFailed', 'the terminal rejected the username or password');
    }
    const text = await response.text();
    if (!response.ok) throw new IsapiRefused('Rejected', `${method} ${path}: ${response.status} ${element(text, 'subStatusCode') ?? ''}`.trim());
    return text;
  }

  async deviceInfo(): Promise<{ model?: string; serialNumber?: string; firmwareVersion?: string }> {
    const xml = await this.request('GET', '/ISAPI/System/deviceInfo');
    const info: { model?: string; serialNumber?: string; firmwareVersion?: string } = {};
    for (const key of ['model', 'serialNumber', 'firmwareVersion'] as const) {
      const value = element(xml, key);
      if (value) info[key] = value;
    }
    return info;
  }

  /** Points the terminal's HTTP host 1 at `host`, then reads it back; resolves only if the terminal kept it as sent. */
  async setHttpHost(host: HttpHost): Promise<void> {
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?><HttpHostNotification version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">' +
      `<id>1</id><url>${xmlText(host.url)}</url><protocolType>${host.protocolType}</protocolType><parameterFormatType>JSON</parameterFormatType>` +
      `<addressingFormatType>hostname</addressingFormatType><hostName>${xmlText(host.hostName)}</hostName><portNo>${host.portNo}</portNo>` +
      '<httpAuthenticationMethod>none</httpAuthenticationMethod></HttpHostNotification>';
    const answer = await this.request('PUT', '/ISAPI/Event/notification/httpHosts/1', xml);
    if (element(answer, 'statusCode') !== '1') throw new IsapiRefused('Rejected', `the terminal did not take the HTTP host: ${element(answer, 'subStatusCode') ?? 'no status'}`);
    const kept = await this.request('GET', '/ISAPI/Event/notification/httpHosts/1');
    const same = element(kept, 'url') === host.url && element(kept, 'hostName') === host.hostName && element(kept, 'portNo') === String(host.portNo);
    if (!same) throw new IsapiRefused('Rejected', 'the terminal answered OK but kept another HTTP host');
  }
}
