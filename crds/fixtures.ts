// Examples and a table of invalid objects, shared by the local and the API-server tests.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KindName } from './index.js';

type Obj = { kind: KindName; metadata: { name: string }; spec: Record<string, unknown> } & Record<string, unknown>;

export function loadExamples(): Obj[] {
  const dir = join(import.meta.dirname, 'examples');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as Obj));
}

const example = (kind: KindName): Obj => structuredClone(loadExamples().find((o) => o.kind === kind)!);

export interface InvalidRow {
  name: string;
  kind: KindName;
  object: Obj;
  /** The field the error must name. */
  field: string;
}

const row = (name: string, kind: KindName, field: string, mutate: (o: Obj) => void): InvalidRow => {
  const object = example(kind);
  mutate(object);
  return { name, kind, object, field };
};

const spec = (o: Obj) => o.spec as Record<string, unknown> & { cameras: Array<Record<string, unknown>> };
const host = (value: string) => (o: Obj) => void (spec(o).publicHost = value);

const KEY = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
const tunnelSchool = (tunnel: Record<string, unknown>) => (o: Obj) =>
  void Object.assign(spec(o), { networkMode: 'tunnel', tunnel: { publicKey: KEY, expose: ['192.168.1.0/24'], ...tunnel } });

export const INVALID: InvalidRow[] = [
  row('egress IP in a private range', 'MediaNode', 'spec.egressIPs[0]', (o) => void (spec(o).egressIPs = ['10.0.0.5'])),
  row('egress IP on loopback', 'MediaNode', 'spec.egressIPs[0]', (o) => void (spec(o).egressIPs = ['127.0.0.1'])),
  row('egress IP that is IPv6', 'MediaNode', 'spec.egressIPs[0]', (o) => void (spec(o).egressIPs = ['2a01:4f8::1'])),
  row('no egress IP', 'MediaNode', 'spec.egressIPs', (o) => void (spec(o).egressIPs = [])),
  row('WebRTC URL over http', 'MediaNode', 'spec.webrtcBaseUrl', (o) => void (spec(o).webrtcBaseUrl = 'http://fsn1-a.example')),
  row('HLS URL that is no URL', 'MediaNode', 'spec.hlsBaseUrl', (o) => void (spec(o).hlsBaseUrl = 'fsn1-a')),
  row('zero capacity weight', 'MediaNode', 'spec.capacityWeight', (o) => void (spec(o).capacityWeight = 0)),
  row('negative camera limit', 'MediaNode', 'spec.maxCameras', (o) => void (spec(o).maxCameras = -1)),
  row('region that is no DNS label', 'MediaNode', 'spec.region', (o) => void (spec(o).region = 'FSN_1')),
  row('unknown spec field', 'MediaNode', 'spec.replicas', (o) => void (spec(o).replicas = 2)),
  row('time zone without an area', 'School', 'spec.timezone', (o) => void (spec(o).timezone = 'Tashkent')),
  row('unknown network mode', 'School', 'spec.networkMode', (o) => void (spec(o).networkMode = 'vpn')),
  row('empty display name', 'School', 'spec.displayName', (o) => void (spec(o).displayName = '')),
  row('pin to a name that is no DNS label', 'School', 'spec.mediaNodeRef', (o) => void (spec(o).mediaNodeRef = 'Node_A')),
  row('no region', 'School', 'spec.region', (o) => void delete spec(o).region),
  row('FaceID source address that is a name', 'School', 'spec.faceIdSourceAddresses[0]', (o) => void (spec(o).faceIdSourceAddresses = ['router.school.example'])),
  row('FaceID source CIDR with a prefix too long', 'School', 'spec.faceIdSourceAddresses[0]', (o) => void (spec(o).faceIdSourceAddresses = ['203.0.113.0/33'])),
  row('name that is no DNS label', 'School', 'metadata.name', (o) => void (o.metadata.name = 'school.one')),
  row('host in 10.0.0.0/8', 'Nvr', 'spec.publicHost', host('10.1.2.3')),
  row('host in 172.16.0.0/12', 'Nvr', 'spec.publicHost', host('172.16.5.4')),
  row('host in 192.168.0.0/16', 'Nvr', 'spec.publicHost', host('192.168.1.10')),
  row('host on loopback', 'Nvr', 'spec.publicHost', host('127.0.0.1')),
  row('host on the metadata address', 'Nvr', 'spec.publicHost', host('169.254.169.254')),
  row('host on IPv6 loopback', 'Nvr', 'spec.publicHost', host('::1')),
  row('host in IPv6 unique-local space', 'Nvr', 'spec.publicHost', host('fd00::1')),
  row('unspecified host', 'Nvr', 'spec.publicHost', host('0.0.0.0')),
  row('multicast host', 'Nvr', 'spec.publicHost', host('224.0.0.1')),
  row('host in carrier-grade NAT space', 'Nvr', 'spec.publicHost', host('100.64.1.1')),
  row('host with a .local name', 'Nvr', 'spec.publicHost', host('nvr.local')),
  row('host named localhost', 'Nvr', 'spec.publicHost', host('localhost')),
  row('IPv4-mapped IPv6 host', 'Nvr', 'spec.publicHost', host('::ffff:10.0.0.1')),
  row('RTSP port above 65535', 'Nvr', 'spec.publicRtspPort', (o) => void (spec(o).publicRtspPort = 70000)),
  row('RTSP port zero', 'Nvr', 'spec.publicRtspPort', (o) => void (spec(o).publicRtspPort = 0)),
  row('ONVIF port equal to the RTSP port', 'Nvr', 'spec.publicOnvifPort', (o) => void (spec(o).publicOnvifPort = spec(o).publicRtspPort)),
  row('duplicate camera id', 'Nvr', 'spec.cameras[1]', (o) => void (spec(o).cameras[1]!.id = 'entrance')),
  row('camera id with spaces', 'Nvr', 'spec.cameras[0].id', (o) => void (spec(o).cameras[0]!.id = 'Entrance 1')),
  row('RTSP path with credentials', 'Nvr', 'spec.cameras[0].rtspPath', (o) => void (spec(o).cameras[0]!.rtspPath = '/admin:secret@cam/1')),
  row('unknown stream', 'Nvr', 'spec.cameras[0].stream', (o) => void (spec(o).cameras[0]!.stream = 'hd')),
  row('no credentials reference', 'Nvr', 'spec.credentialsSecretRef', (o) => void delete spec(o).credentialsSecretRef),
  row('inline password', 'Nvr', 'spec.password', (o) => void (spec(o).password = 'hunter2')),
  row('unknown NVR vendor', 'Nvr', 'spec.vendor', (o) => void (spec(o).vendor = 'acme')),
  row('upper-case MAC', 'Nvr', 'spec.lan.mac', (o) => void ((spec(o).lan as Record<string, unknown>).mac = '44:19:B6:00:00:01')),
  row('tunnel NVR with a public host', 'Nvr', 'spec.publicHost', (o) => void Object.assign(spec(o), { connectivity: 'tunnel', tunnel: { host: '192.168.1.64' } })),
  row('tunnel NVR without its LAN address', 'Nvr', 'spec.tunnel', (o) => void (Object.assign(spec(o), { connectivity: 'tunnel' }), delete spec(o).publicHost)),
  row('public NVR with a tunnel section', 'Nvr', 'spec.tunnel', (o) => void (spec(o).tunnel = { host: '192.168.1.64' })),
  row('public NVR without a public host', 'Nvr', 'spec.publicHost', (o) => void delete spec(o).publicHost),
  row('tunnel host on a public address', 'Nvr', 'spec.tunnel.host', (o) => void (Object.assign(spec(o), { connectivity: 'tunnel', tunnel: { host: '203.0.113.5' } }), delete spec(o).publicHost)),
  row('tunnel host on the metadata address', 'Nvr', 'spec.tunnel.host', (o) => void (Object.assign(spec(o), { connectivity: 'tunnel', tunnel: { host: '169.254.169.254' } }), delete spec(o).publicHost)),
  row('tunnel school without its tunnel section', 'School', 'spec.tunnel', (o) => void (spec(o).networkMode = 'tunnel')),
  row('public school with a tunnel section', 'School', 'spec.tunnel', (o) => void (spec(o).tunnel = { publicKey: KEY, expose: ['192.168.1.0/24'] })),
  row('gateway key that is no WireGuard key', 'School', 'spec.tunnel.publicKey', tunnelSchool({ publicKey: 'not-a-key' })),
  row('gateway key of 33 bytes', 'School', 'spec.tunnel.publicKey', tunnelSchool({ publicKey: 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dh=' })),
  row('exposure of a public range', 'School', 'spec.tunnel.expose[0]', tunnelSchool({ expose: ['203.0.113.0/24'] })),
  row('exposure wider than /16', 'School', 'spec.tunnel.expose[0]', tunnelSchool({ expose: ['10.0.0.0/8'] })),
  row('exposure of loopback', 'School', 'spec.tunnel.expose[0]', tunnelSchool({ expose: ['127.0.0.1'] })),
  row('empty exposure', 'School', 'spec.tunnel.expose', tunnelSchool({ expose: [] })),
  row('exposure just above 172.16.0.0/12', 'School', 'spec.tunnel.expose[0]', tunnelSchool({ expose: ['172.32.0.0/16'] })),
  row('exposure just below 172.16.0.0/12', 'School', 'spec.tunnel.expose[0]', tunnelSchool({ expose: ['172.15.255.0/24'] })),
  row('exposure of /15 inside 192.168.0.0/16', 'School', 'spec.tunnel.expose[0]', tunnelSchool({ expose: ['192.168.0.0/15'] })),
  row('exposure next to 192.168.0.0/16', 'School', 'spec.tunnel.expose[0]', tunnelSchool({ expose: ['192.169.0.0/16'] })),
  row('exposure of an IPv6 range', 'School', 'spec.tunnel.expose[0]', tunnelSchool({ expose: ['fd00::/16'] })),
  row('exposure with a prefix too long', 'School', 'spec.tunnel.expose[0]', tunnelSchool({ expose: ['192.168.1.0/33'] })),
  row('tunnel range wider than /16', 'MediaNode', 'spec.tunnel.addressRange', (o) => void (spec(o).tunnel = { addressRange: '10.0.0.0/8' })),
  row('unknown terminal vendor', 'FaceIdDevice', 'spec.vendor', (o) => void (spec(o).vendor = 'suprema')),
  row('unknown direction', 'FaceIdDevice', 'spec.direction', (o) => void (spec(o).direction = 'sideways')),
  row('serial number with spaces', 'FaceIdDevice', 'spec.serialNumber', (o) => void (spec(o).serialNumber = 'ABC 123')),
  row('no LAN block', 'FaceIdDevice', 'spec.lan', (o) => void delete spec(o).lan),
  row('school reference in upper case', 'FaceIdDevice', 'spec.schoolRef', (o) => void (spec(o).schoolRef = 'School17')),
];

export interface ValidRow {
  name: string;
  kind: KindName;
  object: Obj;
}

/** Variations of the examples that the API server and validate() must both admit: the edges of the LAN exposure rule. */
export const VALID: ValidRow[] = (
  [
    ['exposure of a /28 inside 192.168.0.0/16', ['192.168.10.0/28']],
    ['exposure with host bits set', ['192.168.10.5/28']],
    ['exposure of the whole of 192.168.0.0/16', ['192.168.0.0/16']],
    ['exposure at the top of 172.16.0.0/12', ['172.31.255.0/24']],
    ['exposure at the top of 10.0.0.0/8', ['10.255.0.0/16']],
    ['exposure of one address as /32', ['172.20.0.1/32']],
    ['exposure of plain addresses', ['10.1.2.3', '172.16.0.1', '192.168.255.254']],
  ] as Array<[string, string[]]>
).map(([name, expose]) => {
  const object = example('School');
  tunnelSchool({ expose })(object);
  return { name, kind: 'School', object };
});
