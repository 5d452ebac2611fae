// A test CA made with openssl, server certificates with chosen serials, and a TLS client that reports what it was served.
import { execFile } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { harnessDir, spawnService, type Service } from './process.js';

const run = promisify(execFile);

export interface TestCa {
  dir: string;
  cert: Buffer;
  /** A server certificate signed by this CA for `hosts` (DNS names or IPs), with the given serial (hex). */
  issue(serial: string, hosts: string[]): Promise<ServerCertificate>;
}

export interface ServerCertificate {
  cert: string;
  key: string;
  serial: string;
  /** SHA-256 of the DER, as MediaMTX's sourceFingerprint takes it. */
  fingerprint: string;
}

export async function createTestCa(name = 'posbon-test-ca'): Promise<TestCa> {
  const dir = await harnessDir('test-ca');
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-subj', `/CN=${name}`, '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.crt'),
  ]);
  const cert = await readFile(join(dir, 'ca.crt'));
  return {
    dir,
    cert,
    async issue(serial, hosts) {
      const base = join(dir, serial);
      await run('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${hosts[0]}`, '-keyout', `${base}.key`, '-out', `${base}.csr`]);
      const san = hosts.map((h) => (/^[\d.]+$/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
      await run('bash', [
        '-c',
        `openssl x509 -req -in "$1.csr" -CA "$2/ca.crt" -CAkey "$2/ca.key" -set_serial 0x${serial} -days 1 -extfile <(printf 'subjectAltName=%s\\nextendedKeyUsage=serverAuth' "$3") -out "$1.crt"`,
        '_', base, dir, san,
      ]);
      const pem = await readFile(`${base}.crt`, 'utf8');
      return {
        cert: pem,
        key: await readFile(`${base}.key`, 'utf8'),
        serial: new X509Certificate(pem).serialNumber,
        fingerprint: createHash('sha256').update(new X509Certificate(pem).raw).digest('hex'),
      };
    },
  };
}

export interface TlsResponse {
  status: number;
  headers: import('node:http').IncomingHttpHeaders;
  body: Buffer;
  /** The serial of the certificate the server presented on this (new) connection. */
  serial: string;
}

/** One request on a new TLS connection that trusts `ca` alone, so the certificate served right now is the one seen. */
export function httpsRequest(
  url: string,
  ca: Buffer,
  options: { method?: string; headers?: Record<string, string>; body?: string; servername?: string } = {},
): Promise<TlsResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: options.headers, ca, agent: false, ...(options.servername ? { servername: options.servername } : {}) },
      (res) => {
        const serial = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().serialNumber;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), serial }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

export interface HlsReader {
  service: Service;
  /** Frames decoded so far, from ffmpeg's progress reports. */
  frames(): Promise<number>;
  stop(): Promise<void>;
}

/** A player that keeps reading an HLS stream over https with a bearer token, as a browser's player would. */
export async function startFfmpegHlsReader(url: string, token: string, ca: Buffer): Promise<HlsReader> {
  const dir = await harnessDir('hls-reader');
  await writeFile(join(dir, 'ca.crt'), ca);
  const progress = join(dir, 'progress.txt');
  const service = await spawnService('ffmpeg-hls-reader', 'ffmpeg', [
    '-hide_banner', '-loglevel', 'error',
    '-headers', `Authorization: Bearer ${token}\r\n`,
    '-ca_file', join(dir, 'ca.crt'), '-tls_verify', '1',
    '-i', url,
    '-map', '0:v', '-f', 'null', '-',
    '-progress', `file:${progress}`, '-stats_period', '0.2',
  ]);
  return {
    service,
    async frames() {
      const text = await readFile(progress, 'utf8').catch(() => '');
      const all = [...text.matchAll(/^frame=(\d+)$/gm)];
      return all.length > 0 ? Number(all[all.length - 1]![1]) : 0;
    },
    stop: () => service.stop(),
  };
}
