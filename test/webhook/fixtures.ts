// Device pushes built from the vendors' published formats (FACTS.md), including the odd cases firmwares produce.
import { randomBytes } from 'node:crypto';
import { constants, deflateRawSync, deflateSync } from 'node:zlib';

export interface HikvisionEventInit {
  serialNo?: number;
  employeeNoString?: string;
  dateTime?: string;
  subEventType?: number;
  attendanceStatus?: string;
}

export function hikvisionEventJson(init: HikvisionEventInit = {}): Record<string, unknown> {
  const access: Record<string, unknown> = {
    deviceName: 'Access Controller',
    majorEventType: 5,
    subEventType: init.subEventType ?? 75,
    name: 'Pupil',
    cardReaderNo: 1,
    verifyNo: 161,
    employeeNoString: init.employeeNoString ?? '1001',
    userType: 'normal',
    currentVerifyMode: 'cardOrFaceOrFp',
    currentEvent: true,
    attendanceStatus: init.attendanceStatus ?? 'checkIn',
    label: '',
    mask: 'no',
    picturesNumber: 1,
    purePwdVerifyEnable: true,
  };
  if (init.serialNo !== undefined) access.serialNo = init.serialNo;
  return {
    ipAddress: '192.168.1.64',
    portNo: 80,
    protocol: 'HTTP',
    macAddress: 'bc:ba:c2:00:00:01',
    channelID: 1,
    dateTime: init.dateTime ?? '2026-11-20T07:55:12+05:00',
    activePostCount: 1,
    eventType: 'AccessControllerEvent',
    eventState: 'active',
    eventDescription: 'Access Controller Event',
    AccessControllerEvent: access,
  };
}

export const hikvisionHeartbeat = (): Record<string, unknown> => ({
  ipAddress: '192.168.1.64',
  portNo: 80,
  protocol: 'HTTP',
  macAddress: 'bc:ba:c2:00:00:01',
  dateTime: '2026-11-20T07:55:12+05:00',
  activePostCount: 1,
  eventType: 'heartBeat',
  eventState: 'active',
  eventDescription: 'heartBeat',
});

const xmlOf = (value: unknown, name: string): string => {
  if (value !== null && typeof value === 'object') {
    const inner = Object.entries(value as Record<string, unknown>).map(([k, v]) => xmlOf(v, k)).join('');
    return `<${name}>${inner}</${name}>`;
  }
  return `<${name}>${String(value)}</${name}>`;
};

/** The XML `EventNotificationAlert` some firmwares post instead of JSON, with the same fields. */
export function hikvisionEventXml(event: Record<string, unknown>): string {
  const inner = Object.entries(event).map(([k, v]) => xmlOf(v, k)).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<EventNotificationAlert version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">\n${inner}\n</EventNotificationAlert>\n`;
}

/** A JPEG-looking picture: SOI, JFIF header, noise, EOI — `marker` lets a test find it in logs or rows. */
export function jpeg(size: number, marker = 'POSBON-JPEG-MARKER'): Buffer {
  const head = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]);
  const tag = Buffer.from(marker);
  const noise = randomBytes(Math.max(0, size - head.length - tag.length - 2));
  return Buffer.concat([head, tag, noise, Buffer.from([0xff, 0xd9])]);
}

export interface MultipartInit {
  json: Record<string, unknown> | string;
  partName?: string;
  /** The boundary in the Content-Type header; the body may spell it differently (a real firmware quirk). */
  headerBoundary?: string;
  bodyBoundary?: string;
  picture?: Buffer;
  /** Put the JSON in a part with a filename, as some firmwares do. */
  jsonAsFile?: boolean;
  pictureFirst?: boolean;
  /** Line ending of the multipart framing; some firmwares write a bare LF. */
  newline?: '\r\n' | '\n';
}

export function hikvisionMultipart(init: MultipartInit): { body: Buffer; contentType: string } {
  const headerBoundary = init.headerBoundary ?? 'MIME_boundary';
  const boundary = init.bodyBoundary ?? headerBoundary;
  const name = init.partName ?? 'event_log';
  const nl = init.newline ?? '\r\n';
  const text = typeof init.json === 'string' ? init.json : JSON.stringify(init.json);
  const jsonPart = Buffer.concat([
    Buffer.from(`--${boundary}${nl}`),
    Buffer.from(
      init.jsonAsFile
        ? `Content-Disposition: form-data; name="${name}"; filename="${name}.json"${nl}Content-Type: application/json${nl}`
        : `Content-Disposition: form-data; name="${name}"${nl}Content-Type: application/json${nl}`,
    ),
    Buffer.from(`Content-Length: ${Buffer.byteLength(text)}${nl}${nl}${text}${nl}`),
  ]);
  const parts = [jsonPart];
  if (init.picture) {
    const picturePart = Buffer.concat([
      Buffer.from(
        `--${boundary}${nl}Content-Disposition: form-data; name="Picture"; filename="Picture.jpg"${nl}Content-Type: image/jpeg${nl}`,
      ),
      Buffer.from(`Content-Length: ${init.picture.length}${nl}${nl}`),
      init.picture,
      Buffer.from(nl),
    ]);
    if (init.pictureFirst) parts.unshift(picturePart);
    else parts.push(picturePart);
  }
  parts.push(Buffer.from(`--${boundary}--${nl}`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${headerBoundary}` };
}

export interface AttlogLine {
  pin: string;
  time: string;
  status?: number;
  verify?: number;
}

export const zktecoAttlog = (lines: readonly AttlogLine[]): string =>
  lines.map((l) => `${l.pin}\t${l.time}\t${l.status ?? 0}\t${l.verify ?? 15}\t0\t0\t0\t0\t0\t0\n`).join('');

export interface DahuaInit {
  userId?: string;
  utc?: number;
  recNo?: number;
  type?: 'Entry' | 'Exit';
  status?: number;
}

export function dahuaData(init: DahuaInit = {}): Record<string, unknown> {
  const data: Record<string, unknown> = {
    CardName: 'Pupil',
    CardNo: 'A1B2C3',
    CardType: 0,
    Door: 0,
    ErrorCode: 0,
    Method: 15,
    Name: 'Entry',
    ReaderID: '1',
    Status: init.status ?? 1,
    Type: init.type ?? 'Entry',
    UTC: init.utc ?? 1_763_607_312,
    UserID: init.userId ?? '2001',
    UserType: 0,
  };
  if (init.recNo !== undefined) data.RecNo = init.recNo;
  return data;
}

export const dahuaText = (events: readonly Record<string, unknown>[], code = 'AccessControl'): string =>
  events.map((data, index) => `Code=${code};action=Pulse;index=${index};data=${JSON.stringify(data)}\r\n`).join('');

export const dahuaHeartbeat = (): string => 'Code=HeartBeat;action=Pulse;index=0\r\n';

export const deflated = (text: string, raw = false): Buffer =>
  raw ? deflateRawSync(Buffer.from(text)) : deflateSync(Buffer.from(text));

/**
 * Raw deflate whose first byte reads as text (`C`, `c`, `{`, `-` or white space), as some Dahua bodies begin: a
 * firmware that writes a byte-order mark and fixed Huffman codes starts its stream with `{`.
 */
export function rawDeflateStartingLikeText(text: string): Buffer {
  for (const prefix of ['', '\ufeff']) {
    for (const strategy of [constants.Z_DEFAULT_STRATEGY, constants.Z_FIXED, constants.Z_RLE]) {
      const body = deflateRawSync(Buffer.from(prefix + text), { strategy });
      if (/^[\s{Cc-]/.test(String.fromCharCode(body[0]!))) return body;
    }
  }
  throw new Error('no raw deflate stream of this text starts with a text byte');
}

export interface SignedEventInit {
  eventId?: string;
  personId: string;
  direction?: 'in' | 'out';
  occurredAt: string;
}

export const signedBody = (events: readonly SignedEventInit[]): string =>
  JSON.stringify({ type: 'attendance.recorded', data: { events } });
