// Which FaceID devices exist: fed from the FaceIdDevice and School resources; here only the lookups the ingress needs.
import { BlockList, isIPv4, isIPv6 } from 'node:net';
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
  /** The school's `faceIdSourceAddresses` (CIDRs its terminals push from); absent when it declares none. */
  sourceAddresses?: readonly string[] | undefined;
}

/** Where a school's terminals may push from; `undefined` when the school declares no addresses. */
export interface SourceAllowlist {
  allows(address: string): boolean;
}

export interface DeviceDirectory {
  byId(schoolId: string, deviceId: string): DeviceContext | undefined;
  /** ZKTeco devices identify themselves only by serial number. */
  bySerialNumber(serialNumber: string): DeviceContext | undefined;
  /** The school's declared source addresses, if it declares any. */
  sourcesOf(schoolId: string): SourceAllowlist | undefined;
}

/** `10.0.0.0/8`, `203.0.113.7` or `2001:db8::/32` into a block list; an invalid entry is refused loudly. */
export function sourceAllowlistOf(cidrs: readonly string[]): SourceAllowlist {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [address = '', bits] = cidr.split('/');
    const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
    const prefix = bits === undefined ? (family === 'ipv4' ? 32 : 128) : Number(bits);
    if (!family || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 'ipv4' ? 32 : 128)) {
      throw new Error(`sourceAddresses: ${JSON.stringify(cidr)} is not an address or CIDR`);
    }
    list.addSubnet(address, prefix, family);
  }
  const check = (raw: string): boolean => {
    // An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d.
    const address = raw.startsWith('::ffff:') && isIPv4(raw.slice(7)) ? raw.slice(7) : raw;
    if (isIPv4(address)) return list.check(address, 'ipv4');
    return isIPv6(address) && list.check(address, 'ipv6');
  };
  // A school's terminals push from few addresses, and each check builds a SocketAddress: answers are remembered.
  const answers = new Map<string, boolean>();
  return {
    allows(raw: string): boolean {
      let allowed = answers.get(raw);
      if (allowed === undefined) {
        allowed = check(raw);
        if (answers.size >= SOURCE_ANSWERS_LIMIT) answers.clear();
        answers.set(raw, allowed);
      }
      return allowed;
    },
  };
}

const SOURCE_ANSWERS_LIMIT = 4096;

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
  private sources = new Map<string, SourceAllowlist>();

  static create(records: readonly FaceIdDeviceRecord[] = []): InMemoryDeviceDirectory {
    const directory = new InMemoryDeviceDirectory();
    directory.replace(records);
    return directory;
  }

  replace(records: readonly FaceIdDeviceRecord[]): void {
    const byKey = new Map<string, DeviceContext>();
    const bySerial = new Map<string, DeviceContext>();
    const cidrs = new Map<string, Set<string>>();
    for (const record of records) {
      if (record.sourceAddresses && record.sourceAddresses.length > 0) {
        const set = cidrs.get(record.schoolId) ?? new Set<string>();
        for (const cidr of record.sourceAddresses) set.add(cidr);
        cidrs.set(record.schoolId, set);
      }
      byKey.set(`${record.schoolId}/${record.deviceId}`, context(record));
      // A serial claimed by two devices identifies neither: such a device is refused until the conflict is fixed.
      if (bySerial.has(record.serialNumber)) bySerial.set(record.serialNumber, { ...context(record), deviceId: '' });
      else bySerial.set(record.serialNumber, context(record));
    }
    this.sources = new Map([...cidrs].map(([school, set]) => [school, sourceAllowlistOf([...set])]));
    this.byKey = byKey;
    this.bySerial = bySerial;
  }

  sourcesOf(schoolId: string): SourceAllowlist | undefined {
    return this.sources.get(schoolId);
  }

  byId(schoolId: string, deviceId: string): DeviceContext | undefined {
    return this.byKey.get(`${schoolId}/${deviceId}`);
  }

  bySerialNumber(serialNumber: string): DeviceContext | undefined {
    const device = this.bySerial.get(serialNumber);
    return device && device.deviceId !== '' ? device : undefined;
  }
}
