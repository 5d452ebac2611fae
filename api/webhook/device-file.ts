// The device directory of a `main` process: a mounted file of FaceIdDevice records, reloaded when it changes.
import { unwatchFile, watchFile } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { Logger } from '../../lib/log/logger.js';
import { InMemoryDeviceDirectory, type FaceIdDeviceRecord } from './devices.js';

const record = z.object({
  schoolId: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/),
  deviceId: z.string().min(1).max(253),
  vendor: z.enum(['hikvision', 'zkteco', 'dahua']),
  direction: z.enum(['in', 'out', 'both']),
  serialNumber: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  sourceAddresses: z.array(z.string().max(49)).max(64).optional(),
  timezone: z.string().refine((zone) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  }, 'not an IANA time zone'),
});
const deviceList = z.array(record);

/** The records in a devices file; throws an Error naming the file and the first bad field. */
export async function readDeviceFile(path: string): Promise<FaceIdDeviceRecord[]> {
  const result = deviceList.safeParse(parseYaml(await readFile(path, 'utf8')));
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new Error(`${path}: ${issue?.path.join('.') || 'devices'}: ${issue?.message ?? 'invalid'}`);
}

export class DeviceFile {
  private constructor(
    readonly directory: InMemoryDeviceDirectory,
    private readonly path: string,
    private readonly logger: Logger,
  ) {}

  /** Reads the file (it must be valid at start) and polls it for changes; a bad edit keeps the last good records. */
  static async open(path: string, logger: Logger, pollMs = 5000): Promise<DeviceFile> {
    const file = new DeviceFile(InMemoryDeviceDirectory.create(await readDeviceFile(path)), path, logger);
    watchFile(path, { interval: pollMs, persistent: false }, () => void file.reload());
    return file;
  }

  async reload(): Promise<void> {
    try {
      const records = await readDeviceFile(this.path);
      this.directory.replace(records);
      this.logger.info('devices reloaded', { devices: records.length });
    } catch (error) {
      this.logger.warn('devices file not reloaded; keeping the previous devices', { error });
    }
  }

  close(): void {
    unwatchFile(this.path);
  }
}
