// ZKTeco ADMS ("iclock") pushes: ATTLOG batches of tab-separated lines in the school's local time.
import { InputError } from '../../../lib/errors/index.js';
import {
  emptyPush,
  attendanceEvent,
  localTimeToInstant,
  personId,
  resolveDirection,
  type DeviceContext,
  type Direction,
  type ParsedPush,
} from '../attendance.js';

/** ATTLOG status: 0 check-in, 1 check-out, 2 break-out, 3 break-in, 4 overtime-in, 5 overtime-out. */
const STATUS_DIRECTION: readonly Direction[] = ['in', 'out', 'out', 'in', 'in', 'out'];

/** One ATTLOG batch (`POST /iclock/cdata?table=ATTLOG`). A malformed line rejects the batch so the device re-sends it whole. */
export function parseZktecoAttlog(text: string, device: DeviceContext, serialNumber: string): ParsedPush {
  const push = emptyPush();
  const lines = text.split(/\r?\n/);
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    const field = `ATTLOG line ${index + 1}`;
    const [pin, time, status = '0', verify = ''] = line.split('\t').map((cell) => cell.trim());
    if (!pin || !time) throw new InputError(field, 'expected PIN<TAB>local time<TAB>status<TAB>verify');
    if (!/^[0-5]$/.test(status))
      throw new InputError(field, `status must be 0-5, got ${JSON.stringify(status.slice(0, 8))}`);
    const pupil = personId(pin, `${field} PIN`);
    const occurredAt = localTimeToInstant(time, device.timezone, `${field} time`);
    const direction = resolveDirection(device, STATUS_DIRECTION[Number(status)], `${field} status`);
    push.events.push(
      attendanceEvent(device, 'zkteco', {
        personId: pupil,
        direction,
        occurredAt,
        rawEventType: `ATTLOG/status=${status}/verify=${/^\d{1,3}$/.test(verify) ? verify : '?'}`,
        identity: ['zkteco', serialNumber, pupil, time, status],
      }),
    );
  });
  return push;
}

/** The options a device fetches on start (`GET /iclock/cdata?options=all`): push attendance in real time, no photos. */
export function zktecoOptions(serialNumber: string): string {
  return [
    `GET OPTION FROM: ${serialNumber}`,
    'ATTLOGStamp=None',
    'OPERLOGStamp=9999',
    'ATTPHOTOStamp=9999',
    'ErrorDelay=30',
    'Delay=10',
    'TransTimes=00:00;14:05',
    'TransInterval=1',
    'TransFlag=TransData AttLog',
    'Realtime=1',
    'Encrypt=None',
    '',
  ].join('\n');
}

const SERIAL = /^[A-Za-z0-9_-]{1,64}$/;

export function zktecoSerial(value: unknown): string {
  if (typeof value !== 'string' || !SERIAL.test(value)) throw new InputError('SN', 'expected the device serial number');
  return value;
}
