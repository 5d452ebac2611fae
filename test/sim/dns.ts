// A DNS stub server (RFC 1035, UDP): answers A and AAAA from a fixed table, NXDOMAIN for anything else.
import { createSocket, type Socket } from 'node:dgram';
import { parseAddress } from '../../lib/devices/address-guard.js';

export type DnsRecords = Record<string, string[]>;

function questionOf(query: Buffer): { name: string; type: number; end: number } | undefined {
  const labels: string[] = [];
  let at = 12;
  while (at < query.length) {
    const length = query[at]!;
    if (length === 0) break;
    labels.push(query.subarray(at + 1, at + 1 + length).toString('ascii'));
    at += length + 1;
  }
  if (at + 5 > query.length) return undefined;
  return { name: labels.join('.').toLowerCase(), type: query.readUInt16BE(at + 1), end: at + 5 };
}

function rdataOf(address: string): { type: number; data: Buffer } | undefined {
  const parsed = parseAddress(address);
  if (!parsed) return undefined;
  const data = Buffer.alloc(parsed.width / 8);
  for (let i = 0; i < data.length; i++) data[data.length - 1 - i] = Number((parsed.value >> BigInt(8 * i)) & 0xffn);
  return { type: parsed.width === 32 ? 1 : 28, data };
}

export function answer(query: Buffer, records: DnsRecords): Buffer | undefined {
  const question = questionOf(query);
  if (!question || query.length < 12) return undefined;
  const known = records[question.name];
  const rdatas = (known ?? []).map(rdataOf).filter((r) => r?.type === question.type) as { type: number; data: Buffer }[];
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0);
  header.writeUInt16BE(known ? 0x8180 : 0x8183, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(rdatas.length, 6);
  const answers = rdatas.map((r) => {
    const rr = Buffer.alloc(12 + r.data.length);
    rr.writeUInt16BE(0xc00c, 0);
    rr.writeUInt16BE(r.type, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(5, 6);
    rr.writeUInt16BE(r.data.length, 10);
    r.data.copy(rr, 12);
    return rr;
  });
  return Buffer.concat([header, query.subarray(12, question.end), ...answers]);
}

export async function startDnsStub(records: DnsRecords, host: string, port: number): Promise<Socket> {
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  socket.on('message', (query, remote) => {
    const reply = answer(query, records);
    if (reply) socket.send(reply, remote.port, remote.address);
  });
  await new Promise<void>((resolve) => socket.bind(port, host, resolve));
  return socket;
}
