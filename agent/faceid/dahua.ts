// A Dahua access terminal's HTTP API from the school LAN (Digest auth): its serial and type (magicBox.cgi), and the
// server it uploads access events to (configManager.cgi setConfig/getConfig of EventHttpUpload, docs/adr/0016).
import { authorization } from '../../lib/devices/digest.js';

export class DahuaRefused extends Error {
  constructor(
    readonly reason: 'AuthFailed' | 'Unreachable' | 'Rejected',
    message: string,
  ) {
    super(message);
  }
}

export interface EventUpload {
  host: string;
  port: number;
  /** Path the terminal posts to; it carries the device's token. */
  path: string;
  https: boolean;
}

/** `key=value` lines, as every Dahua CGI answers. */
export const parseTable = (text: string): Map<string, string> =>
  new Map(
    text
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as [string, string]),
  );

export class DahuaClient {
  constructor(
    private readonly base: string,
    private readonly credentials: { username: string; password: string },
  ) {}

  private async get(pathAndQuery: string): Promise<string> {
    const send = async (auth?: string) => {
      try {
        return await fetch(`${this.base}${pathAndQuery}`, { headers: auth ? { authorization: auth } : {}, signal: AbortSignal.timeout(10_000) });
      } catch (error) {
        throw new DahuaRefused('Unreachable', `${this.base}: ${(error as Error).message}`);
      }
    };
    let response = await send();
    if (response.status === 401) {
      await response.arrayBuffer();
      const challenge = response.headers.get('www-authenticate');
      const auth = challenge ? authorization([challenge], 'GET', pathAndQuery, this.credentials) : undefined;
      if (!auth) throw new DahuaRefused('AuthFailed', `${this.base} asks for an authentication this agent does not speak`);
      response = await send(auth);
      if (response.status === 401) throw new DahuaRefused('AuthFailed', 'the terminal rejected the username or password');
    }
    const text = await response.text();
    // The path carries the device's token: a refusal names the CGI only.
    if (!response.ok) throw new DahuaRefused('Rejected', `${pathAndQuery.split('?')[0]}: ${response.status} ${text.trim().slice(0, 80)}`);
    return text;
  }

  async deviceInfo(): Promise<{ serialNumber?: string; model?: string }> {
    const serial = parseTable(await this.get('/cgi-bin/magicBox.cgi?action=getSerialNo')).get('sn');
    const model = parseTable(await this.get('/cgi-bin/magicBox.cgi?action=getDeviceType')).get('type');
    return { ...(serial ? { serialNumber: serial } : {}), ...(model ? { model } : {}) };
  }

  /** Sets the first upload server and reads it back; refuses when the terminal kept something else. */
  async setEventUpload(upload: EventUpload): Promise<void> {
    const key = 'EventHttpUpload.UploadServerList[0]';
    const values: [string, string][] = [
      ['EventHttpUpload.Enable', 'true'],
      [`${key}.Address`, upload.host],
      [`${key}.Port`, String(upload.port)],
      [`${key}.Uploadpath`, upload.path],
      [`${key}.HttpsEnable`, String(upload.https)],
    ];
    const query = values.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
    const answer = await this.get(`/cgi-bin/configManager.cgi?action=setConfig&${query}`);
    if (answer.trim() !== 'OK') throw new DahuaRefused('Rejected', `setConfig EventHttpUpload: ${answer.trim().slice(0, 80)}`);
    const kept = parseTable(await this.get('/cgi-bin/configManager.cgi?action=getConfig&name=EventHttpUpload'));
    const mismatch = values.find(([k, v]) => kept.get(`table.${k}`) !== v);
    if (mismatch) throw new DahuaRefused('Rejected', `the terminal did not keep ${mismatch[0]}`);
  }
}
