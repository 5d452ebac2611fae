// An ONVIF device (Profile S, Media1) of ours, from the ONVIF Core and Media specifications:
// SOAP 1.2 over HTTP, WS-Security UsernameToken with PasswordDigest, and a WS-Discovery responder.
import { createHash, randomUUID } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { OnHost } from '../harness/mediamtx.js';
import { spawnService, waitForPort, type Service } from '../harness/process.js';

export interface SimProfile {
  token: string;
  name: string;
  encoding: 'H264' | 'H265';
  width: number;
  height: number;
  /** What GetStreamUri answers, e.g. `rtsp://192.168.1.64:554/Streaming/Channels/101`. */
  streamUri: string;
}

export interface SimVideoSource {
  token: string;
  name: string;
  profiles: SimProfile[];
}

export interface OnvifSimOptions {
  /** Address and port to listen on. */
  host: string;
  port: number;
  username: string;
  password: string;
  /** The host the device names in its service addresses; NVRs behind NAT name their LAN address. */
  advertisedHost?: string;
  device?: { manufacturer: string; model: string; firmwareVersion: string; serialNumber: string; hardwareId: string };
  sources: SimVideoSource[];
  /** Answer WS-Discovery probes on UDP 3702 (joined to 239.255.255.250 on `host`). */
  discovery?: boolean;
  /** Whether to offer GetServices; older devices answer only GetCapabilities. */
  getServices?: boolean;
  /** Actions answered the way broken firmware does: an empty response element, or bytes that are not XML. */
  broken?: Record<string, 'empty' | 'garbage'>;
}

export interface OnvifSimulator {
  port: number;
  /** Actions received, in order, with whether their WS-Security header verified. */
  requests: { action: string; authenticated: boolean }[];
  stop(): Promise<void>;
}

const NS = {
  s: 'http://www.w3.org/2003/05/soap-envelope',
  tds: 'http://www.onvif.org/ver10/device/wsdl',
  trt: 'http://www.onvif.org/ver10/media/wsdl',
  tt: 'http://www.onvif.org/ver10/schema',
  ter: 'http://www.onvif.org/ver10/error',
};

const envelope = (body: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="${NS.s}" xmlns:tds="${NS.tds}" xmlns:trt="${NS.trt}" xmlns:tt="${NS.tt}" xmlns:ter="${NS.ter}"><s:Body>${body}</s:Body></s:Envelope>`;

const fault = (code: 'Sender' | 'Receiver', subcode: string, reason: string): string =>
  envelope(
    `<s:Fault><s:Code><s:Value>s:${code}</s:Value><s:Subcode><s:Value>${subcode}</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en">${reason}</s:Text></s:Reason></s:Fault>`,
  );

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The text of the first element with this local name, whatever its prefix. */
const element = (xml: string, name: string): string | undefined => xml.match(new RegExp(`<(?:[\\w-]+:)?${name}(?:\\s[^>]*)?>([^<]*)</(?:[\\w-]+:)?${name}>`))?.[1];

/** The first child of the SOAP Body: the action being called. */
const actionOf = (xml: string): string | undefined => xml.match(/<(?:[\w-]+:)?Body[^>]*>\s*<(?:[\w-]+:)?(\w+)/)?.[1];

/** ONVIF Core §5.12: PasswordDigest = Base64(SHA-1(nonce + created + password)), nonce fresh, created recent. */
function verifyUsernameToken(xml: string, options: OnvifSimOptions, seenNonces: Set<string>): boolean {
  const username = element(xml, 'Username');
  const digest = element(xml, 'Password');
  const nonce = element(xml, 'Nonce');
  const created = element(xml, 'Created');
  if (!username || !digest || !nonce || !created) return false;
  if (!/#PasswordDigest"/.test(xml.match(/<(?:[\w-]+:)?Password\s[^>]*>/)?.[0] ?? '')) return false;
  if (Math.abs(Date.parse(created) - Date.now()) > 5 * 60_000) return false;
  if (seenNonces.has(nonce)) return false;
  const expected = createHash('sha1')
    .update(Buffer.concat([Buffer.from(nonce, 'base64'), Buffer.from(created, 'utf8'), Buffer.from(options.password, 'utf8')]))
    .digest('base64');
  if (username !== options.username || expected !== digest) return false;
  seenNonces.add(nonce);
  return true;
}

function responses(options: OnvifSimOptions, port: number): Record<string, (xml: string) => string> {
  const base = `http://${options.advertisedHost ?? options.host}:${port}`;
  const device = options.device ?? { manufacturer: 'Posbon', model: 'SimNVR-8', firmwareVersion: 'V4.1.0 build 260101', serialNumber: 'SIM0001', hardwareId: '88' };
  const profiles = options.sources.flatMap((source) => source.profiles.map((profile) => ({ source, profile })));
  const profileXml = ({ source, profile }: (typeof profiles)[number]) =>
    `<trt:Profiles token="${profile.token}" fixed="true"><tt:Name>${escape(profile.name)}</tt:Name>` +
    `<tt:VideoSourceConfiguration token="vsc-${source.token}"><tt:Name>${escape(source.name)}</tt:Name><tt:UseCount>${source.profiles.length}</tt:UseCount>` +
    `<tt:SourceToken>${source.token}</tt:SourceToken><tt:Bounds x="0" y="0" width="${source.profiles[0]?.width ?? 0}" height="${source.profiles[0]?.height ?? 0}"/></tt:VideoSourceConfiguration>` +
    `<tt:VideoEncoderConfiguration token="vec-${profile.token}"><tt:Name>enc-${profile.token}</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>${profile.encoding}</tt:Encoding>` +
    `<tt:Resolution><tt:Width>${profile.width}</tt:Width><tt:Height>${profile.height}</tt:Height></tt:Resolution><tt:Quality>4</tt:Quality>` +
    `<tt:RateControl><tt:FrameRateLimit>25</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval><tt:BitrateLimit>4096</tt:BitrateLimit></tt:RateControl>` +
    `<tt:SessionTimeout>PT60S</tt:SessionTimeout></tt:VideoEncoderConfiguration></trt:Profiles>`;
  const service = (namespace: string, path: string) =>
    `<tds:Service><tds:Namespace>${namespace}</tds:Namespace><tds:XAddr>${base}${path}</tds:XAddr><tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service>`;
  return {
    GetSystemDateAndTime: () => {
      const now = new Date();
      return (
        `<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>NTP</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>` +
        `<tt:TimeZone><tt:TZ>UTC0</tt:TZ></tt:TimeZone><tt:UTCDateTime><tt:Time><tt:Hour>${now.getUTCHours()}</tt:Hour><tt:Minute>${now.getUTCMinutes()}</tt:Minute>` +
        `<tt:Second>${now.getUTCSeconds()}</tt:Second></tt:Time><tt:Date><tt:Year>${now.getUTCFullYear()}</tt:Year><tt:Month>${now.getUTCMonth() + 1}</tt:Month>` +
        `<tt:Day>${now.getUTCDate()}</tt:Day></tt:Date></tt:UTCDateTime></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>`
      );
    },
    GetServices: () =>
      `<tds:GetServicesResponse>${service(NS.tds, '/onvif/device_service')}${service(NS.trt, '/onvif/media_service')}</tds:GetServicesResponse>`,
    GetCapabilities: () =>
      `<tds:GetCapabilitiesResponse><tds:Capabilities><tt:Device><tt:XAddr>${base}/onvif/device_service</tt:XAddr></tt:Device>` +
      `<tt:Media><tt:XAddr>${base}/onvif/media_service</tt:XAddr><tt:StreamingCapabilities><tt:RTPMulticast>false</tt:RTPMulticast>` +
      `<tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities></tt:Media></tds:Capabilities></tds:GetCapabilitiesResponse>`,
    GetDeviceInformation: () =>
      `<tds:GetDeviceInformationResponse><tds:Manufacturer>${escape(device.manufacturer)}</tds:Manufacturer><tds:Model>${escape(device.model)}</tds:Model>` +
      `<tds:FirmwareVersion>${escape(device.firmwareVersion)}</tds:FirmwareVersion><tds:SerialNumber>${escape(device.serialNumber)}</tds:SerialNumber>` +
      `<tds:HardwareId>${escape(device.hardwareId)}</tds:HardwareId></tds:GetDeviceInformationResponse>`,
    GetVideoSources: () =>
      `<trt:GetVideoSourcesResponse>${options.sources
        .map(
          (s) =>
            `<trt:VideoSources token="${s.token}"><tt:Framerate>25</tt:Framerate><tt:Resolution><tt:Width>${s.profiles[0]?.width ?? 0}</tt:Width>` +
            `<tt:Height>${s.profiles[0]?.height ?? 0}</tt:Height></tt:Resolution></trt:VideoSources>`,
        )
        .join('')}</trt:GetVideoSourcesResponse>`,
    GetProfiles: () => `<trt:GetProfilesResponse>${profiles.map(profileXml).join('')}</trt:GetProfilesResponse>`,
    GetStreamUri: (xml) => {
      const token = element(xml, 'ProfileToken');
      const match = profiles.find((p) => p.profile.token === token);
      if (!match) throw new SoapFault('Sender', 'ter:InvalidArgVal', 'No such profile');
      return (
        `<trt:GetStreamUriResponse><trt:MediaUri><tt:Uri>${escape(match.profile.streamUri)}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>` +
        `<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT60S</tt:Timeout></trt:MediaUri></trt:GetStreamUriResponse>`
      );
    },
  };
}

class SoapFault extends Error {
  constructor(
    readonly code: 'Sender' | 'Receiver',
    readonly subcode: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** Actions the Core specification lets a client call before it knows the device's clock. */
const UNAUTHENTICATED = new Set(['GetSystemDateAndTime']);

function discoveryResponder(options: OnvifSimOptions, port: number): UdpSocket {
  const deviceId = `urn:uuid:${randomUUID()}`;
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  socket.on('message', (message, remote) => {
    const xml = message.toString('utf8');
    if (!/<(?:[\w-]+:)?Probe[\s>]/.test(xml)) return;
    const relatesTo = element(xml, 'MessageID') ?? '';
    const reply =
      `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="${NS.s}" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" ` +
      `xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl"><s:Header>` +
      `<a:MessageID>urn:uuid:${randomUUID()}</a:MessageID><a:RelatesTo>${escape(relatesTo)}</a:RelatesTo>` +
      `<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To><a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</a:Action>` +
      `</s:Header><s:Body><d:ProbeMatches><d:ProbeMatch><a:EndpointReference><a:Address>${deviceId}</a:Address></a:EndpointReference>` +
      `<d:Types>dn:NetworkVideoTransmitter</d:Types><d:Scopes>onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/Profile/Streaming ` +
      `onvif://www.onvif.org/name/${encodeURIComponent(options.device?.model ?? 'SimNVR-8')}</d:Scopes>` +
      `<d:XAddrs>http://${options.host}:${port}/onvif/device_service</d:XAddrs><d:MetadataVersion>1</d:MetadataVersion></d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>`;
    socket.send(reply, remote.port, remote.address);
  });
  socket.bind(3702, () => {
    try {
      socket.addMembership('239.255.255.250', options.host);
    } catch {
      // Unicast probes still work without a multicast route.
    }
  });
  return socket;
}

/** Runs the simulator in this process. */
export async function startOnvifSimulator(options: OnvifSimOptions): Promise<OnvifSimulator> {
  const requests: OnvifSimulator['requests'] = [];
  const seenNonces = new Set<string>();
  let answers: Record<string, (xml: string) => string> = {};
  const reply = (res: ServerResponse, status: number, xml: string) => {
    res.writeHead(status, { 'Content-Type': 'application/soap+xml; charset=utf-8' });
    res.end(xml);
  };
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const xml = Buffer.concat(chunks).toString('utf8');
      const action = actionOf(xml) ?? '';
      const authenticated = verifyUsernameToken(xml, options, seenNonces);
      requests.push({ action, authenticated });
      if (req.method !== 'POST') return reply(res, 405, fault('Sender', 'ter:InvalidArgVal', 'POST only'));
      if (action === 'GetServices' && options.getServices === false) return reply(res, 500, fault('Receiver', 'ter:ActionNotSupported', 'Optional Action Not Implemented'));
      const answer = answers[action];
      if (!answer) return reply(res, 500, fault('Receiver', 'ter:ActionNotSupported', 'Optional Action Not Implemented'));
      if (!UNAUTHENTICATED.has(action) && !authenticated) return reply(res, 400, fault('Sender', 'ter:NotAuthorized', 'Sender not Authorized'));
      const broken = options.broken?.[action];
      if (broken === 'garbage') return reply(res, 200, '\u0000\u0001 not xml <<<');
      if (broken === 'empty') return reply(res, 200, envelope(`<tds:${action}Response/>`));
      try {
        reply(res, 200, envelope(answer(xml)));
      } catch (error) {
        if (!(error instanceof SoapFault)) throw error;
        reply(res, error.code === 'Sender' ? 400 : 500, fault(error.code, error.subcode, error.reason));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port, options.host, resolve));
  const port = (server.address() as { port: number }).port;
  answers = responses(options, port);
  const discovery = options.discovery ? discoveryResponder(options, port) : undefined;
  return {
    port,
    requests,
    stop: async () => {
      discovery?.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const here = dirname(fileURLToPath(import.meta.url));

/** Runs the simulator as its own process on a test host, the way a device on a school's network runs. */
export async function spawnOnvifSimulator(on: OnHost, options: Omit<OnvifSimOptions, 'host'>): Promise<Service> {
  const tsx = join(here, '../../node_modules/.bin/tsx');
  const service = await spawnService('onvif-sim', tsx, [join(here, 'onvif-cli.ts')], {
    netns: on.netns,
    env: { ...process.env, POSBON_ONVIF_SIM: JSON.stringify({ ...options, host: on.ip }) },
  });
  await waitForPort(options.port, service, 30_000, on.ip);
  return service;
}
