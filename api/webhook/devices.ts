// Which FaceID devices exist: fed from the FaceIdDevice and School resources; here only the lookups the ingress needs.
import type { DeviceContext, DeviceVendor, Direction } from './attendance.js';

/** A FaceIdDevice joined with its School, as plain data. */
export interface FaceIdDeviceRecord {
  schoolId: string;
  deviceId: string;
  vendor: DeviceVendor;
  direction: Direction | 'both';
  serialNumber: string;
  /** IANA zone of the school, e.g. Asia/Tashkent. */
  timezone: string;
}

export interface DeviceDirectory {
  byId(schoolId: string, deviceId: string): DeviceContext | undefined;
  /** ZKTeco devices identify themselves only by serial number. */
  bySerialNumber(serialNumber: string): DeviceContext | undefined;
}

const context = ({ schoolId, deviceId, vendor, direction, timezone }: FaceIdDeviceRecord): DeviceContext => ({
  schoolId,
  deviceId,
  vendor,
  direction,
  timezone,
});

/** A directory over a snapshot of records; `replace` swaps the snapshot when the informer cache changes. */
export class InMemoryDeviceDirectory implements DeviceDirectory {
  private byKey = new Map<string, DeviceContext>();
  private bySerial = new Map<string, DeviceContext>();

  static create(records: readonly FaceIdDeviceRecord[] = []): InMemoryDeviceDirectory {
    const directory = new InMemoryDeviceDirectory();
    directory.replace(records);
    return directory;
  }

  replace(records: readonly FaceIdDeviceRecord[]): void {
    const byKey = new Map<string, DeviceContext>();
    const bySerial = new Map<string, DeviceContext>();
    for (const record of records) {
      byKey.set(`${record.schoolId}/${record.deviceId}`, context(record));
      // A serial claimed by two devices identifies neither: such a device is refused until the conflict is fixed.
      if (bySerial.has(record.serialNumber)) bySerial.set(record.serialNumber, { ...context(record), deviceId: '' });
      else bySerial.set(record.serialNumber, context(record));
    }
    this.byKey = byKey;
    this.bySerial = bySerial;
  }

  byId(schoolId: string, deviceId: string): DeviceContext | undefined {
    return this.byKey.get(`${schoolId}/${deviceId}`);
  }

  bySerialNumber(serialNumber: string): DeviceContext | undefined {
    const device = this.bySerial.get(serialNumber);
    return device && device.deviceId !== '' ? device : undefined;
  }
}
