// A running ingress on a loopback port with a small fleet of devices and their issued credentials.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { InMemoryDeviceDirectory, type FaceIdDeviceRecord } from '../../api/webhook/devices.js';
import { migrateDatabase } from '../../api/db/migrate.js';
import { startWebhookServer, type WebhookServer, type WebhookServerOptions } from '../../api/webhook/server.js';
import { createLogger } from '../../lib/log/logger.js';
import { signStandardWebhook, whsecKey } from '../../api/webhook/vendors/standard-webhooks.js';

/** School a's terminals push from loopback's first address; school b declares no addresses. */
const SCHOOL_A_SOURCES = ['127.0.0.1/32'];

export const DEVICES: FaceIdDeviceRecord[] = ([
  {
    schoolId: 'school-a',
    deviceId: 'gate-1',
    vendor: 'hikvision',
    direction: 'both',
    serialNumber: 'DS-K1T671-0001',
    timezone: 'Asia/Tashkent',
  },
  {
    schoolId: 'school-a',
    deviceId: 'zk-1',
    vendor: 'zkteco',
    direction: 'both',
    serialNumber: 'CKJ0001',
    timezone: 'Asia/Tashkent',
  },
  {
    schoolId: 'school-a',
    deviceId: 'dh-1',
    vendor: 'dahua',
    direction: 'both',
    serialNumber: 'DH-0001',
    timezone: 'Asia/Tashkent',
  },
  {
    schoolId: 'school-a',
    deviceId: 'dh-2',
    vendor: 'dahua',
    direction: 'in',
    serialNumber: 'DH-0002',
    timezone: 'Asia/Tashkent',
  },
  {
    schoolId: 'school-a',
    deviceId: 'gw-1',
    vendor: 'hikvision',
    direction: 'both',
    serialNumber: 'GW-0001',
    timezone: 'Asia/Tashkent',
  },
  {
    schoolId: 'school-b',
    deviceId: 'gate-9',
    vendor: 'hikvision',
    direction: 'in',
    serialNumber: 'DS-K1T671-0009',
    timezone: 'Europe/Berlin',
  },
  {
    schoolId: 'school-b',
    deviceId: 'zk-9',
    vendor: 'zkteco',
    direction: 'both',
    serialNumber: 'CKJ0009',
    timezone: 'Europe/Berlin',
  },
] satisfies FaceIdDeviceRecord[]).map((device) => (device.schoolId === 'school-a' ? { ...device, sourceAddresses: SCHOOL_A_SOURCES } : device));

export interface TestIngress extends WebhookServer {
  base: string;
  /** The metrics listener, apart from the port devices push to. */
  metricsBase: string;
  /** Every log line written, parsed. */
  logs: string[];
  tokens: { hikvision: string; dahua: string; dahuaIn: string; otherSchool: string };
  signingSecret: string;
  sign(body: string | Buffer, id: string, at?: Date): Record<string, string>;
}

export async function startTestIngress(
  databaseUrl: string,
  options: Partial<Pick<WebhookServerOptions, 'limits' | 'store' | 'deviceStatus'>> & { keys?: { tokenHashKey: Buffer; sealingKey: Buffer } } = {},
): Promise<TestIngress> {
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter((line) => line !== ''),
      );
      done();
    },
  });
  const logger = createLogger({ component: 'webhook', level: 'debug', stream });
  await migrateDatabase(databaseUrl);
  const server = await startWebhookServer({
    config: {
      databaseUrl,
      port: 0,
      metricsPort: 0,
      keys: options.keys ?? { tokenHashKey: randomBytes(32), sealingKey: randomBytes(32) },
      logLevel: 'debug',
      poolSize: 8,
    },
    directory: InMemoryDeviceDirectory.create(DEVICES),
    logger,
    host: '127.0.0.1',
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.store ? { store: options.store } : {}),
    ...(options.deviceStatus ? { deviceStatus: options.deviceStatus } : {}),
  });
  const tokens = {
    hikvision: await server.secrets.issue({ schoolId: 'school-a', deviceId: 'gate-1' }, 'path-token'),
    dahua: await server.secrets.issue({ schoolId: 'school-a', deviceId: 'dh-1' }, 'path-token'),
    dahuaIn: await server.secrets.issue({ schoolId: 'school-a', deviceId: 'dh-2' }, 'path-token'),
    otherSchool: await server.secrets.issue({ schoolId: 'school-b', deviceId: 'gate-9' }, 'path-token'),
  };
  const signingSecret = await server.secrets.issue({ schoolId: 'school-a', deviceId: 'gw-1' }, 'signing-secret');
  const sign = (body: string | Buffer, id: string, at = new Date()) => {
    const timestamp = String(Math.floor(at.getTime() / 1000));
    return {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': timestamp,
      'webhook-signature': signStandardWebhook(whsecKey(signingSecret), id, timestamp, Buffer.from(body)),
    };
  };
  return { ...server, base: `http://127.0.0.1:${server.port}`, metricsBase: `http://127.0.0.1:${server.metricsPort}`, logs, tokens, signingSecret, sign };
}
