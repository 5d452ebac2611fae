// The router's WAN address, asked of the gateway itself (ADR 0017):
// - UPnP IGD: an SSDP M-SEARCH (UPnP Device Architecture 1.1, 1.3.2) for the WANIPConnection:2 and :1 services,
//   the device description at the answer's LOCATION, then the SOAP action GetExternalIPAddress on the service's
//   controlURL (WANIPConnection:1 2.4.18 / :2), whose NewExternalIPAddress is the WAN address.
// - NAT-PMP (RFC 6886, 3.2): a 2-byte request (version 0, opcode 0) to the gateway's UDP port 5351, retried from
//   250 ms doubling; the 12-byte answer (opcode 128, result 0) carries the external IPv4 address.
// Every step is bounded; a router that speaks neither gives `null`, which is an answer, not an error.
import { createSocket, type Socket } from 'node:dgram';
import { isIPv4 } from 'node:net';
import { elementsOf, parseXml, textOf } from './xml.js';

export const SSDP_GROUP = '239.255.255.250';
export const SSDP_PORT = 1900;
export const NAT_PMP_PORT = 5351;
export const WAN_SERVICES = ['urn:schemas-upnp-org:service:WANIPConnection:2', 'urn:schemas-upnp-org:service:WANIPConnection:1'] as const;

export interface RouterWan {
  address: string;
  via: 'upnp-igd' | 'nat-pmp';
}

export interface RouterWanOptions {
  /** The default gateway's IPv4 address, when the system names one: NAT-PMP asks it, and only it may answer SSDP. */
  gateway: string | null;
  /** Each protocol's whole budget. */
  timeoutMs?: number;
}

const MAX_DESCRIPTION_BYTES = 256 * 1024;

export function mSearch(searchTarget: string, mx = 1): string {
  return `M-SEARCH * HTTP/1.1\r\nHOST: ${SSDP_GROUP}:${SSDP_PORT}\r\nMAN: "ssdp:discover"\r\nMX: ${mx}\r\nST: ${searchTarget}\r\n\r\n`;
}

/** The LOCATION of an SSDP search answer (`HTTP/1.1 200 OK` with header lines), if it is one. */
export function locationOf(answer: string): string | undefined {
  const [status, ...lines] = answer.split(/\r?\n/);
  if (!/^HTTP\/1\.[01] 200\b/.test(status ?? '')) return undefined;
  for (const line of lines) {
    const m = /^location:\s*(\S+)\s*$/i.exec(line);
    if (m) return m[1];
  }
  return undefined;
}

/** The absolute control URL of the first WAN IP connection service a device description lists, with its type. */
export function wanControlOf(description: string, location: string): { serviceType: string; controlUrl: string } | undefined {
  const doc = parseXml(description);
  const base = textOf(doc, 'URLBase') || location;
  for (const wanted of WAN_SERVICES) {
    for (const service of elementsOf(doc, 'service')) {
      if (textOf(service, 'serviceType') !== wanted) continue;
      const control = textOf(service, 'controlURL');
      if (!control) continue;
      try {
        return { serviceType: wanted, controlUrl: new URL(control, base).toString() };
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export function getExternalIpAddressEnvelope(serviceType: string): string {
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">' +
    `<s:Body><u:GetExternalIPAddress xmlns:u="${serviceType}"/></s:Body></s:Envelope>`
  );
}

/** NewExternalIPAddress of a GetExternalIPAddress answer, when it is a dotted IPv4 address. */
export function externalAddressOf(envelope: string): string | undefined {
  const address = textOf(parseXml(envelope), 'NewExternalIPAddress');
  return address && isIPv4(address) ? address : undefined;
}

/** RFC 6886 3.2: version 0, opcode 128, result 0, seconds since epoch, then the external address. */
export function natPmpAddressOf(answer: Buffer): string | undefined {
  if (answer.length < 12 || answer[0] !== 0 || answer[1] !== 128 || answer.readUInt16BE(2) !== 0) return undefined;
  const address = [...answer.subarray(8, 12)].join('.');
  return address === '0.0.0.0' ? undefined : address;
}

const bound = (socket: Socket) => new Promise<void>((resolve, reject) => {
  socket.once('error', reject);
  socket.bind(0, () => resolve());
});

async function readCapped(response: Response): Promise<string> {
  const text = await response.text();
  if (text.length > MAX_DESCRIPTION_BYTES) throw new Error('description too large');
  return text;
}

/** SSDP answers whose LOCATION points at the host that answered (a LAN device cannot send the agent elsewhere). */
async function ssdpLocations(gateway: string | null, timeoutMs: number): Promise<string[]> {
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  const found = new Set<string>();
  try {
    await bound(socket);
    socket.setMulticastTTL(2);
    socket.on('message', (message, rinfo) => {
      if (gateway && rinfo.address !== gateway) return;
      const location = locationOf(message.toString('utf8'));
      if (!location) return;
      try {
        const url = new URL(location);
        if (url.protocol === 'http:' && url.hostname === rinfo.address) found.add(url.toString());
      } catch {
        // not a URL: not an answer to use
      }
    });
    // UDP may drop a datagram: ask twice, each with half the budget, and stop at the first answer.
    for (let attempt = 0; attempt < 2 && found.size === 0; attempt++) {
      for (const service of WAN_SERVICES) socket.send(mSearch(service), SSDP_PORT, SSDP_GROUP);
      const until = Date.now() + timeoutMs / 2;
      while (found.size === 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } catch {
    // no multicast route, no socket: no IGD to find
  } finally {
    socket.close();
  }
  return [...found];
}

export async function upnpWanAddress(gateway: string | null, timeoutMs = 3000): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (const location of await ssdpLocations(gateway, Math.min(2000, timeoutMs / 2))) {
    try {
      const left = () => Math.max(1, deadline - Date.now());
      const description = await readCapped(await fetch(location, { signal: AbortSignal.timeout(left()), redirect: 'error' }));
      const control = wanControlOf(description, location);
      if (!control || new URL(control.controlUrl).hostname !== new URL(location).hostname) continue;
      const answer = await fetch(control.controlUrl, {
        method: 'POST',
        headers: { 'content-type': 'text/xml; charset="utf-8"', soapaction: `"${control.serviceType}#GetExternalIPAddress"` },
        body: getExternalIpAddressEnvelope(control.serviceType),
        signal: AbortSignal.timeout(left()),
        redirect: 'error',
      });
      if (!answer.ok) continue;
      const address = externalAddressOf(await readCapped(answer));
      if (address) return address;
    } catch {
      // this answer led nowhere; try the next
    }
  }
  return undefined;
}

export async function natPmpWanAddress(gateway: string, timeoutMs = 2000): Promise<string | undefined> {
  const socket = createSocket('udp4');
  let address: string | undefined;
  try {
    await bound(socket);
    socket.on('message', (message, rinfo) => {
      // RFC 6886 3.2: only the gateway's own answer from port 5351 counts.
      if (rinfo.address === gateway && rinfo.port === NAT_PMP_PORT) address ??= natPmpAddressOf(message);
    });
    const deadline = Date.now() + timeoutMs;
    for (let wait = 250; address === undefined && Date.now() < deadline; wait *= 2) {
      socket.send(Buffer.from([0, 0]), NAT_PMP_PORT, gateway);
      const until = Math.min(deadline, Date.now() + wait);
      while (address === undefined && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 25));
    }
  } catch {
    // unreachable gateway: no NAT-PMP
  } finally {
    socket.close();
  }
  return address;
}

/** UPnP IGD first, then NAT-PMP at the gateway; null when the router answers neither within the budget. */
export async function routerWanAddress(options: RouterWanOptions): Promise<RouterWan | null> {
  const timeoutMs = options.timeoutMs ?? 3000;
  const upnp = await upnpWanAddress(options.gateway, timeoutMs);
  if (upnp) return { address: upnp, via: 'upnp-igd' };
  if (!options.gateway) return null;
  const pmp = await natPmpWanAddress(options.gateway, timeoutMs);
  return pmp ? { address: pmp, via: 'nat-pmp' } : null;
}
