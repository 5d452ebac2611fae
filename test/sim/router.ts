// A school's router as the agent's diagnostics meet it, built from the published specs:
// - UPnP IGD: answers an SSDP M-SEARCH (UPnP Device Architecture 1.1, 1.3.3) for the InternetGatewayDevice or its
//   WANIPConnection:1 service with a LOCATION; serves the device description (IGD:1 device tree) and the
//   WANIPConnection:1 control URL, where the SOAP action GetExternalIPAddress answers NewExternalIPAddress.
// - NAT-PMP (RFC 6886, 3.2 and 3.5): on UDP 5351, version 0 opcode 0 gets opcode 128, result 0, seconds since start
//   and the external address; another version gets result 1, another opcode result 5.
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:http';

export interface RouterSimOptions {
  /** The router's LAN address, the school PC's gateway. */
  lan: string;
  /** What the router reports as its WAN address. */
  wan: string;
  upnp: boolean;
  natPmp: boolean;
  /** The description's HTTP port. */
  httpPort?: number;
}

export interface RouterSim {
  /** What was asked, in order: `ssdp <ST>`, `http <path>`, `soap <action>`, `nat-pmp <opcode>`. */
  requests: string[];
  stop(): Promise<void>;
}

const SERVICE = 'urn:schemas-upnp-org:service:WANIPConnection:1';
const IGD = 'urn:schemas-upnp-org:device:InternetGatewayDevice:1';

const description = (base: string) => `<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0">
<specVersion><major>1</major><minor>0</minor></specVersion>
<URLBase>${base}</URLBase>
<device>
<deviceType>${IGD}</deviceType><friendlyName>School router</friendlyName><manufacturer>Posbon test</manufacturer><modelName>IGD simulator</modelName><UDN>uuid:7b0e6a52-0000-4000-8000-000000000001</UDN>
<deviceList><device>
<deviceType>urn:schemas-upnp-org:device:WANDevice:1</deviceType><UDN>uuid:7b0e6a52-0000-4000-8000-000000000002</UDN>
<serviceList><service><serviceType>urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1</serviceType><serviceId>urn:upnp-org:serviceId:WANCommonIFC1</serviceId><SCPDURL>/WANCfg.xml</SCPDURL><controlURL>/ctl/CmnIfCfg</controlURL><eventSubURL>/evt/CmnIfCfg</eventSubURL></service></serviceList>
<deviceList><device>
<deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:1</deviceType><UDN>uuid:7b0e6a52-0000-4000-8000-000000000003</UDN>
<serviceList><service><serviceType>${SERVICE}</serviceType><serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId><SCPDURL>/WANIPCn.xml</SCPDURL><controlURL>/ctl/IPConn</controlURL><eventSubURL>/evt/IPConn</eventSubURL></service></serviceList>
</device></deviceList>
</device></deviceList>
</device>
</root>`;

const envelope = (wan: string) =>
  '<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">' +
  `<s:Body><u:GetExternalIPAddressResponse xmlns:u="${SERVICE}"><NewExternalIPAddress>${wan}</NewExternalIPAddress></u:GetExternalIPAddressResponse></s:Body></s:Envelope>`;

const closeSocket = (socket: Socket) => new Promise<void>((resolve) => socket.close(() => resolve()));

export async function startRouterSim(options: RouterSimOptions): Promise<RouterSim> {
  const requests: string[] = [];
  const started = Date.now();
  const stops: (() => Promise<void>)[] = [];

  if (options.upnp) {
    const port = options.httpPort ?? 49_000;
    const base = `http://${options.lan}:${port}/`;
    const http: Server = createServer((req, res) => {
      const body: Buffer[] = [];
      req.on('data', (c: Buffer) => body.push(c));
      req.on('end', () => {
        if (req.method === 'GET' && req.url === '/rootDesc.xml') {
          requests.push(`http ${req.url}`);
          return res.writeHead(200, { 'content-type': 'text/xml; charset="utf-8"' }).end(description(base));
        }
        const action = String(req.headers.soapaction ?? '');
        if (req.method === 'POST' && req.url === '/ctl/IPConn') {
          requests.push(`soap ${action}`);
          if (action !== `"${SERVICE}#GetExternalIPAddress"`) return res.writeHead(500).end();
          return res.writeHead(200, { 'content-type': 'text/xml; charset="utf-8"', ext: '' }).end(envelope(options.wan));
        }
        res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(port, options.lan, () => resolve());
    });
    stops.push(() => new Promise((resolve) => { http.closeAllConnections(); http.close(() => resolve()); }));

    const ssdp = createSocket({ type: 'udp4', reuseAddr: true });
    await new Promise<void>((resolve, reject) => {
      ssdp.once('error', reject);
      ssdp.bind(1900, () => resolve());
    });
    // The group is joined on the interface the routing table picks for it: the LAN side (the topology routes 224/4 there).
    ssdp.addMembership('239.255.255.250');
    const reply = createSocket('udp4');
    await new Promise<void>((resolve) => reply.bind(0, options.lan, () => resolve()));
    ssdp.on('message', (message, rinfo) => {
      const text = message.toString('utf8');
      if (!text.startsWith('M-SEARCH * HTTP/1.1')) return;
      const st = /^ST:\s*(.+?)\s*$/im.exec(text)?.[1] ?? '';
      requests.push(`ssdp ${st}`);
      if (![SERVICE, IGD, 'ssdp:all', 'upnp:rootdevice'].includes(st)) return;
      const answer = `HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\nEXT:\r\nLOCATION: ${base}rootDesc.xml\r\nSERVER: Linux UPnP/1.1 IGD-simulator/1.0\r\nST: ${st}\r\nUSN: uuid:7b0e6a52-0000-4000-8000-000000000003::${st}\r\n\r\n`;
      reply.send(answer, rinfo.port, rinfo.address);
    });
    stops.push(() => closeSocket(ssdp), () => closeSocket(reply));
  }

  if (options.natPmp) {
    const pmp = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      pmp.once('error', reject);
      pmp.bind(5351, options.lan, () => resolve());
    });
    pmp.on('message', (message, rinfo) => {
      if (message.length < 2) return;
      const [version, opcode] = [message[0]!, message[1]!];
      requests.push(`nat-pmp ${opcode}`);
      const answer = Buffer.alloc(opcode === 0 && version === 0 ? 12 : 8);
      answer[0] = 0;
      answer[1] = 128 + (version === 0 ? opcode : 0);
      answer.writeUInt16BE(version !== 0 ? 1 : opcode !== 0 ? 5 : 0, 2);
      answer.writeUInt32BE(Math.floor((Date.now() - started) / 1000), 4);
      if (answer.length === 12) options.wan.split('.').forEach((octet, i) => (answer[8 + i] = Number(octet)));
      pmp.send(answer, rinfo.port, rinfo.address);
    });
    stops.push(() => closeSocket(pmp));
  }

  return {
    requests,
    async stop() {
      for (const stop of stops) await stop();
    },
  };
}
