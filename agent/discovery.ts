// WS-Discovery (OASIS WS-Discovery 1.0 as ONVIF Core §7 uses it): a Probe for NetworkVideoTransmitters sent to the
// multicast group 239.255.255.250:3702 and, for routers or VLANs that drop multicast, to listed addresses directly.
// Devices answer ProbeMatches by unicast UDP to the sender.
import { randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { elementsOf, parseXml, textOf } from '../lib/devices/xml.js';

export const DISCOVERY_GROUP = '239.255.255.250';
export const DISCOVERY_PORT = 3702;

export interface DiscoveredDevice {
  /** The device's stable id (EndpointReference Address, usually urn:uuid:…). */
  endpoint: string;
  /** The address the answer came from. */
  answeredFrom: string;
  /** Device service URLs the device advertised. */
  xaddrs: string[];
  /** The host and port of the first HTTP device service URL: what ONVIF is asked on the LAN. */
  onvifHost: string;
  onvifPort: number;
  /** `onvif://www.onvif.org/<key>/<value>` scopes, decoded: name, hardware, location, type, Profile. */
  scopes: Record<string, string[]>;
}

export interface DiscoveryOptions {
  /** Send to the multicast group (default true). */
  multicast?: boolean;
  /** Also send the probe to these addresses directly. */
  targets?: string[];
  timeoutMs?: number;
  /** The local address to send from (and to join the group on); default all. */
  bindAddress?: string;
}

export function probeMessage(messageId: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"' +
    ' xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl">' +
    `<s:Header><a:MessageID>urn:uuid:${messageId}</a:MessageID><a:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>` +
    '<a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action></s:Header>' +
    '<s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body></s:Envelope>'
  );
}

/** Parses one ProbeMatches message; undefined for anything else (our own probe echoed back, a Hello, garbage). */
export function parseProbeMatch(xml: string, answeredFrom: string): DiscoveredDevice | undefined {
  const match = elementsOf(elementsOf(parseXml(xml), 'ProbeMatches')[0], 'ProbeMatch')[0];
  if (match === undefined) return undefined;
  const endpoint = textOf(match, 'Address');
  const xaddrs = (textOf(match, 'XAddrs') ?? '').split(/\s+/).filter(Boolean);
  const service = xaddrs.map((x) => URL.parse(x)).find((u) => u && (u.protocol === 'http:' || u.protocol === 'https:'));
  if (!endpoint || !service) return undefined;
  const scopes: Record<string, string[]> = {};
  for (const scope of (textOf(match, 'Scopes') ?? '').split(/\s+/)) {
    const m = /^onvif:\/\/www\.onvif\.org\/([^/]+)\/(.+)$/i.exec(scope);
    if (!m) continue;
    let value = m[2]!;
    try {
      value = decodeURIComponent(value);
    } catch {
      // kept as sent
    }
    (scopes[m[1]!] ??= []).push(value);
  }
  return {
    endpoint,
    answeredFrom,
    xaddrs,
    onvifHost: service.hostname.replace(/^\[|\]$/g, ''),
    onvifPort: Number(service.port || (service.protocol === 'https:' ? 443 : 80)),
    scopes,
  };
}

/** Probes, collects answers until the timeout and returns one entry per device, in the order they answered. */
export async function discover(options: DiscoveryOptions = {}): Promise<DiscoveredDevice[]> {
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  const found = new Map<string, DiscoveredDevice>();
  socket.on('message', (message, remote) => {
    const device = parseProbeMatch(message.toString('utf8'), remote.address);
    if (device && !found.has(device.endpoint)) found.set(device.endpoint, device);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ port: 0, ...(options.bindAddress ? { address: options.bindAddress } : {}) }, () => resolve());
    });
    const message = Buffer.from(probeMessage(randomUUID()));
    const send = (address: string) =>
      new Promise<void>((resolve, reject) => socket.send(message, DISCOVERY_PORT, address, (error) => (error ? reject(error) : resolve())));
    const destinations = [...(options.multicast === false ? [] : [DISCOVERY_GROUP]), ...(options.targets ?? [])];
    if (destinations.length === 0) throw new Error('nothing to probe: multicast is off and no target was given');
    for (const destination of destinations) {
      await send(destination).catch((error: NodeJS.ErrnoException) => {
        // A host without a multicast route still probes its listed targets.
        if (destination !== DISCOVERY_GROUP || !options.targets?.length) throw error;
      });
    }
    await new Promise((resolve) => setTimeout(resolve, options.timeoutMs ?? 2000));
    return [...found.values()];
  } finally {
    socket.close();
  }
}
