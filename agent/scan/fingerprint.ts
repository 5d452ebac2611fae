// What answers on an open port, read without credentials: the RTSP OPTIONS Server header, HTTP Server headers,
// Digest realms and known paths (Hikvision ISAPI, Dahua RPC2 login, ZKTeco's web server), and ONVIF's answer to
// GetDeviceInformation (a device that wants credentials still says it speaks ONVIF by its SOAP fault).
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

const MAX_BODY = 64 * 1024;

/** One HTTP(S) request; LAN devices present self-signed certificates, and only their headers are read. */
export function httpAsk(
  host: string,
  port: number,
  options: { tls?: boolean; method?: string; path: string; body?: string; contentType?: string; timeoutMs: number },
): Promise<HttpAnswer | undefined> {
  return new Promise((resolve) => {
    const req = (options.tls ? httpsRequest : httpRequest)(
      {
        host,
        port,
        method: options.method ?? 'GET',
        path: options.path,
        agent: false,
        rejectUnauthorized: false,
        timeout: options.timeoutMs,
        headers: options.body !== undefined ? { 'content-type': options.contentType ?? 'application/json', 'content-length': Buffer.byteLength(options.body) } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < MAX_BODY) chunks.push(c);
          size += c.length;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8').slice(0, MAX_BODY) }));
        res.on('error', () => resolve(undefined));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end(options.body);
  });
}

/** The RTSP OPTIONS answer's status line and Server header, or undefined when the port does not speak RTSP. */
export function rtspOptions(host: string, port: number, timeoutMs: number): Promise<{ server: string | null } | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let text = '';
    const done = (value: { server: string | null } | undefined) => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(timeoutMs, () => done(undefined));
    socket.on('error', () => done(undefined));
    socket.on('connect', () => socket.write(`OPTIONS rtsp://${host}:${port}/ RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: posbon-agent\r\n\r\n`));
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (!text.includes('\r\n\r\n')) return;
      if (!/^RTSP\/1\.\d \d{3}/.test(text)) return done(undefined);
      done({ server: /^server:\s*(.+)$/im.exec(text)?.[1]?.trim() ?? null });
    });
  });
}

export interface OnvifAnswer {
  /** Manufacturer, model and serial when the device answered without credentials. */
  manufacturer?: string;
  model?: string;
  serial?: string;
  /** The device asked for credentials (a NotAuthorized fault or 401). */
  needsCredentials: boolean;
}

const GET_DEVICE_INFORMATION =
  '<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:tds="http://www.onvif.org/ver10/device/wsdl">' +
  '<s:Body><tds:GetDeviceInformation/></s:Body></s:Envelope>';

const textOf = (xml: string, local: string): string | undefined => new RegExp(`<(?:[\\w-]+:)?${local}>([^<]*)</(?:[\\w-]+:)?${local}>`).exec(xml)?.[1]?.trim() || undefined;

export async function onvifDeviceInformation(host: string, port: number, timeoutMs: number): Promise<OnvifAnswer | undefined> {
  const answer = await httpAsk(host, port, {
    method: 'POST',
    path: '/onvif/device_service',
    body: GET_DEVICE_INFORMATION,
    contentType: 'application/soap+xml; charset=utf-8',
    timeoutMs,
  });
  if (!answer) return undefined;
  if (answer.body.includes('GetDeviceInformationResponse')) {
    const out: OnvifAnswer = { needsCredentials: false };
    const manufacturer = textOf(answer.body, 'Manufacturer');
    const model = textOf(answer.body, 'Model');
    const serial = textOf(answer.body, 'SerialNumber');
    if (manufacturer) out.manufacturer = manufacturer;
    if (model) out.model = model;
    if (serial) out.serial = serial;
    return out;
  }
  if (/NotAuthorized/i.test(answer.body) || (answer.status === 401 && /Envelope|onvif/i.test(`${answer.body}${answer.headers['www-authenticate'] ?? ''}`))) {
    return { needsCredentials: true };
  }
  if (/<(?:[\w-]+:)?Envelope[\s>]/.test(answer.body) && /<(?:[\w-]+:)?Fault[\s>]/.test(answer.body)) return { needsCredentials: true };
  return undefined;
}

export interface HttpFingerprint {
  server: string | null;
  realm: string | null;
  /** Hikvision: /ISAPI answered (401 with Digest, or device information). */
  isapi: boolean;
  /** Dahua: /RPC2_Login answered a JSON-RPC login challenge; its realm names the serial. */
  dahua: { serial?: string } | null;
  /** ZKTeco: its embedded web server named itself. */
  zkteco: boolean;
}

const realmOf = (headers: IncomingHttpHeaders): string | null => /realm="([^"]*)"/i.exec(String(headers['www-authenticate'] ?? ''))?.[1] ?? null;

export async function httpFingerprint(host: string, port: number, tls: boolean, timeoutMs: number): Promise<HttpFingerprint | undefined> {
  const root = await httpAsk(host, port, { tls, path: '/', timeoutMs });
  if (!root) return undefined;
  const [isapi, dahua] = await Promise.all([
    httpAsk(host, port, { tls, path: '/ISAPI/System/deviceInfo', timeoutMs }),
    httpAsk(host, port, {
      tls,
      method: 'POST',
      path: '/RPC2_Login',
      body: JSON.stringify({ method: 'global.login', params: { userName: 'admin', password: '', clientType: 'Web3.0', loginType: 'Direct' }, id: 1 }),
      timeoutMs,
    }),
  ]);
  const server = (root.headers.server as string | undefined) ?? (isapi?.headers.server as string | undefined) ?? null;
  const isapiAnswered = !!isapi && ((isapi.status === 401 && /digest/i.test(String(isapi.headers['www-authenticate'] ?? ''))) || isapi.body.includes('<DeviceInfo'));
  let dahuaAnswer: HttpFingerprint['dahua'] = null;
  try {
    const parsed = dahua && (JSON.parse(dahua.body) as { params?: { realm?: string; random?: string }; session?: unknown });
    if (parsed && parsed.params?.random !== undefined && parsed.session !== undefined) {
      const serial = /^Login to (\S+)$/.exec(parsed.params.realm ?? '')?.[1];
      dahuaAnswer = serial ? { serial } : {};
    }
  } catch {
    dahuaAnswer = null;
  }
  return {
    server,
    realm: realmOf(isapi?.headers ?? {}) ?? realmOf(root.headers),
    isapi: isapiAnswered,
    dahua: dahuaAnswer,
    zkteco: /\bZK\b|ZKTeco|ZK Web Server/i.test(`${server ?? ''} ${root.body.slice(0, 2000)}`),
  };
}
