// An S3-compatible object store over a folder (versitygw, built from its pinned Go module), served over TLS with a
// test CA: the backup target pgBackRest writes to here, as it writes to Hetzner's Object Storage in production.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { request } from 'node:https';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureTool, versitygw } from '../tools/tools.js';
import { freePort, harnessDir, spawnService, waitForPort, type Service } from './process.js';
import { createTestCa } from './tls.js';

export interface ObjectStore {
  /** The host name the certificate is for; pgBackRest checks it against the certificate's DNS names. */
  endpoint: string;
  port: number;
  region: string;
  accessKey: string;
  secretKey: string;
  /** The PEM of the CA that signed the server certificate. */
  caPem: string;
  /** The folder behind the store: a bucket is a folder in it, an object a file. */
  root: string;
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

const sha256 = (data: string) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

/** AWS Signature Version 4 headers for a request without a body: enough for the store's administration here. */
function signV4(
  store: Pick<ObjectStore, 'region' | 'accessKey' | 'secretKey'>,
  method: string,
  host: string,
  path: string,
): Record<string, string> {
  const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const payload = sha256('');
  const signed = 'host;x-amz-content-sha256;x-amz-date';
  const canonical = [method, path, '', `host:${host}`, `x-amz-content-sha256:${payload}`, `x-amz-date:${amzDate}`, '', signed, payload].join('\n');
  const scope = `${day}/${store.region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${store.secretKey}`, day), store.region), 's3'), 'aws4_request');
  return {
    'x-amz-date': amzDate,
    'x-amz-content-sha256': payload,
    authorization: `AWS4-HMAC-SHA256 Credential=${store.accessKey}/${scope}, SignedHeaders=${signed}, Signature=${hmac(key, toSign).toString('hex')}`,
  };
}

export async function startObjectStore(): Promise<ObjectStore> {
  const binary = await ensureTool(versitygw, (line) => process.stderr.write(`${line}\n`));
  const dir = await harnessDir('object-store');
  const root = join(dir, 'data');
  await mkdir(root);
  const ca = await createTestCa('posbon-object-store-ca');
  // A DNS name, not an IP: pgBackRest verifies the certificate's DNS names only.
  const endpoint = 'localhost';
  const server = await ca.issue('51', [endpoint, '127.0.0.1']);
  await writeFile(join(dir, 'tls.crt'), server.cert);
  await writeFile(join(dir, 'tls.key'), server.key, { mode: 0o600 });
  const port = await freePort();
  const region = 'fsn1';
  const accessKey = `posbon${randomBytes(6).toString('hex')}`;
  const secretKey = randomBytes(24).toString('base64url');
  const service: Service = await spawnService(
    'versitygw',
    binary,
    ['--port', `127.0.0.1:${port}`, '--region', region, '--cert', join(dir, 'tls.crt'), '--key', join(dir, 'tls.key'), '--quiet', 'posix', root],
    // The root credentials as the environment, where no process listing shows them.
    { env: { ...process.env, ROOT_ACCESS_KEY: accessKey, ROOT_SECRET_KEY: secretKey } },
  );
  await waitForPort(port, service);
  const store: ObjectStore = {
    endpoint,
    port,
    region,
    accessKey,
    secretKey,
    caPem: ca.cert.toString('utf8'),
    root,
    createBucket: (name) =>
      new Promise((resolve, reject) => {
        const host = `${endpoint}:${port}`;
        const req = request(
          { host: '127.0.0.1', port, servername: endpoint, method: 'PUT', path: `/${name}`, ca: ca.cert, headers: signV4(store, 'PUT', host, `/${name}`) },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              res.statusCode === 200 ? resolve() : reject(new Error(`creating bucket ${name}: ${res.statusCode} ${Buffer.concat(chunks).toString()}`)),
            );
          },
        );
        req.setHeader('host', host);
        req.on('error', reject);
        req.end();
      }),
    stop: () => service.stop(),
  };
  return store;
}
