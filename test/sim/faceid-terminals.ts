// Dahua and ZKTeco access terminals as provisioning and the webhook meet them, from the vendors' published formats:
// - Dahua (HTTP API, Digest MD5): magicBox.cgi getSerialNo/getDeviceType answer `sn=`/`type=` lines;
//   configManager.cgi setConfig takes `Name.Field=value` query pairs and answers `OK`, getConfig answers
//   `table.Name.Field=value` lines. Once EventHttpUpload points somewhere, `push` posts access events there as
//   `Code=AccessControl;action=Pulse;index=N;data={...}` text (FACTS.md).
// - ZKTeco ADMS: its server is set by hand on the device (`configure`); `push` then does what the firmware does:
//   `GET /iclock/cdata?SN=…&options=all`, then `POST /iclock/cdata?SN=…&table=ATTLOG&Stamp=…` with tab-separated lines.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

export interface DahuaTerminal {
  port: number;
  /** The stored configuration, as getConfig would list it. */
  config: Map<string, string>;
  requests: { path: string; authenticated: boolean }[];
  push(events: Record<string, unknown>[]): Promise<number>;
  stop(): Promise<void>;
}

/** `host`: where it listens (loopback unless a test host must reach it). */
export async function startDahuaTerminal(options: { username: string; password: string; serialNumber: string; model: string; host?: string }): Promise<DahuaTerminal> {
  const realm = `Login to ${options.serialNumber}`;
  const nonces = new Set<string>();
  const config = new Map<string, string>();
  const requests: DahuaTerminal['requests'] = [];
  const verified = (req: IncomingMessage): boolean => {
    const header = req.headers.authorization ?? '';
    if (!header.startsWith('Digest ')) return false;
    const p = new Map([...header.slice(7).matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]+))/g)].map((m) => [m[1]!, m[2] ?? m[3] ?? '']));
    if (!nonces.has(p.get('nonce') ?? '') || p.get('username') !== options.username || p.get('uri') !== req.url) return false;
    const ha1 = md5(`${options.username}:${realm}:${options.password}`);
    const ha2 = md5(`${req.method}:${req.url}`);
    return p.get('response') === md5(`${ha1}:${p.get('nonce')}:${p.get('nc')}:${p.get('cnonce')}:${p.get('qop')}:${ha2}`);
  };
  const server: Server = createServer((req, res) => {
    const authenticated = verified(req);
    const url = new URL(req.url ?? '/', 'http://terminal');
    requests.push({ path: url.pathname + (url.searchParams.get('action') ? `?action=${url.searchParams.get('action')}` : ''), authenticated });
    if (!authenticated) {
      const nonce = randomBytes(16).toString('hex');
      nonces.add(nonce);
      return res.writeHead(401, { 'www-authenticate': `Digest realm="${realm}", qop="auth", nonce="${nonce}", opaque=""` }).end();
    }
    const action = url.searchParams.get('action');
    const text = (body: string) => res.writeHead(200, { 'content-type': 'text/plain' }).end(body);
    if (url.pathname === '/cgi-bin/magicBox.cgi' && action === 'getSerialNo') return text(`sn=${options.serialNumber}\r\n`);
    if (url.pathname === '/cgi-bin/magicBox.cgi' && action === 'getDeviceType') return text(`type=${options.model}\r\n`);
    if (url.pathname === '/cgi-bin/configManager.cgi' && action === 'setConfig') {
      const pairs = [...url.searchParams].filter(([k]) => k !== 'action');
      if (pairs.length === 0 || pairs.some(([k]) => !/^EventHttpUpload\./.test(k))) return res.writeHead(400).end('Error\r\nBad Request!\r\n');
      for (const [k, v] of pairs) config.set(k, v);
      return text('OK\r\n');
    }
    if (url.pathname === '/cgi-bin/configManager.cgi' && action === 'getConfig' && url.searchParams.get('name') === 'EventHttpUpload') {
      return text([...config].map(([k, v]) => `table.${k}=${v}`).join('\r\n') + '\r\n');
    }
    res.writeHead(400).end('Error\r\nBad Request!\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, options.host ?? '127.0.0.1', resolve));
  const server0 = 'EventHttpUpload.UploadServerList[0]';
  return {
    port: (server.address() as AddressInfo).port,
    config,
    requests,
    async push(events) {
      if (config.get('EventHttpUpload.Enable') !== 'true') throw new Error('EventHttpUpload is not enabled');
      const scheme = config.get(`${server0}.HttpsEnable`) === 'true' ? 'https' : 'http';
      const target = `${scheme}://${config.get(`${server0}.Address`)}:${config.get(`${server0}.Port`)}${config.get(`${server0}.Uploadpath`)}`;
      const body = events.map((data, index) => `Code=AccessControl;action=Pulse;index=${index};data=${JSON.stringify(data)}\r\n`).join('');
      return (await fetch(target, { method: 'POST', headers: { 'content-type': 'text/plain' }, body })).status;
    },
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface ZktecoTerminal {
  /** What an installer enters on the device's Cloud Server Setting menu. */
  configure(settings: { address: string; port: number; https: boolean }): void;
  push(lines: { pin: string; time: string; status?: number; verify?: number }[]): Promise<{ options: number; attlog: number; answer: string }>;
}

export function zktecoTerminal(serialNumber: string): ZktecoTerminal {
  let server: string | undefined;
  return {
    configure(settings) {
      server = `${settings.https ? 'https' : 'http'}://${settings.address}:${settings.port}`;
    },
    async push(lines) {
      if (!server) throw new Error('the cloud server is not set on the terminal');
      const options = await fetch(`${server}/iclock/cdata?SN=${serialNumber}&options=all&pushver=2.4.1`);
      await options.text();
      const body = lines.map((l) => `${l.pin}\t${l.time}\t${l.status ?? 0}\t${l.verify ?? 15}\t0\t0\t0\t0\t0\t0\n`).join('');
      const attlog = await fetch(`${server}/iclock/cdata?SN=${serialNumber}&table=ATTLOG&Stamp=9999`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body });
      return { options: options.status, attlog: attlog.status, answer: (await attlog.text()).trim() };
    },
  };
}
