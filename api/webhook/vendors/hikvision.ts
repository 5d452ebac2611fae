// Hikvision ISAPI event pushes: one event, as JSON or as the XML some firmwares send, to attendance events.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { InputError } from '../../../lib/errors/index.js';
import {
  deviceTimeToInstant,
  emptyPush,
  attendanceEvent,
  parseJson,
  personId,
  type DeviceContext,
  type Direction,
  type ParsedPush,
} from '../attendance.js';

/** The names firmwares give the JSON part of a multipart push. */
export const HIKVISION_EVENT_PART_NAMES: ReadonlySet<string> = new Set([
  'event_log',
  'accesscontrollerevent',
  'event',
  'eventnotificationalert',
]);

/** Whether a multipart part carries the event (JSON or XML, by its name or type) rather than a picture. */
export function isHikvisionEventPart(name: string, mimeType: string): boolean {
  if (HIKVISION_EVENT_PART_NAMES.has(name.toLowerCase())) return true;
  return /^(application|text)\/(json|xml)\b/i.test(mimeType);
}

/** Whether a body or part is the XML form of an event rather than JSON. */
export const isXmlEvent = (text: string): boolean => text.trimStart().startsWith('<');

// Values stay strings (an employeeNoString of "007" must not become 7); entities are not expanded, so a DOCTYPE
// cannot make a small body large.
const xmlParser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, removeNSPrefix: true, processEntities: false, ignoreDeclaration: true });

/** The XML `EventNotificationAlert` as the object its JSON form is; numbers stay strings, as JSON firmwares also vary. */
function parseEventXml(text: string): Json {
  if (XMLValidator.validate(text) !== true) throw new InputError('event', 'not well-formed XML');
  const parsed = xmlParser.parse(text) as unknown;
  if (!isObject(parsed) || !isObject(parsed.EventNotificationAlert)) {
    throw new InputError('event', 'expected an EventNotificationAlert XML document');
  }
  return parsed.EventNotificationAlert;
}

const ACCESS_CONTROL = 5;
/** Minor event types of a pass: valid card, fingerprint match, face match. */
const PASS_EVENTS: ReadonlyMap<number, string> = new Map([
  [1, 'card'],
  [38, 'fingerprint'],
  [75, 'face'],
]);

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Some firmwares wrap the event in an `EventNotificationAlert` object. */
function unwrap(json: Json): Json {
  const inner = json.EventNotificationAlert;
  return isObject(inner) ? inner : json;
}

/**
 * One event JSON. The direction comes from the device's URL (a terminal is mounted at one door);
 * `attendanceStatus` is the person's choice on the screen and does not decide the door.
 */
export function parseHikvisionEvent(text: string, device: DeviceContext, direction: Direction): ParsedPush {
  const parsed = isXmlEvent(text) ? parseEventXml(text) : parseJson(text, 'event');
  if (!isObject(parsed)) throw new InputError('event', 'expected a JSON object');
  const json = unwrap(parsed);
  const push = emptyPush();
  const eventType = typeof json.eventType === 'string' ? json.eventType : '';
  if (eventType.toLowerCase() === 'heartbeat') {
    push.heartbeats = 1;
    return push;
  }
  const access = json.AccessControllerEvent;
  if (eventType !== 'AccessControllerEvent' || !isObject(access)) {
    push.ignored = 1;
    return push;
  }
  const pass = PASS_EVENTS.get(Number(access.subEventType));
  const person = access.employeeNoString ?? access.employeeNo;
  if (Number(access.majorEventType) !== ACCESS_CONTROL || !pass || person === undefined || person === '') {
    push.ignored = 1;
    return push;
  }
  const occurredAt = deviceTimeToInstant(json.dateTime, device.timezone, 'event.dateTime');
  const pupil = personId(person, 'event.AccessControllerEvent.employeeNoString');
  // JSON carries the serial as a number, XML as its digits: both name the same event.
  const serialNo = typeof access.serialNo === 'string' && /^\d{1,15}$/.test(access.serialNo) ? Number(access.serialNo) : access.serialNo;
  const identity =
    typeof serialNo === 'number' && Number.isSafeInteger(serialNo) && serialNo >= 0
      ? ['serialNo', serialNo]
      : undefined;
  push.events.push(
    attendanceEvent(device, 'hikvision', {
      personId: pupil,
      direction,
      occurredAt,
      rawEventType: `AccessControllerEvent/5/${Number(access.subEventType)}:${pass}`,
      identity,
    }),
  );
  return push;
}

/**
 * The boundary the body really uses. Some firmwares announce `boundary=MIME_boundary` in the header
 * and write `--mime_boundary` in the body; the body wins when the two differ only in letter case.
 */
export function actualBoundary(headerBoundary: string, head: Uint8Array): string {
  const text = Buffer.from(head.subarray(0, 512)).toString('latin1');
  const start = text.indexOf('--');
  if (start < 0) return headerBoundary;
  // Some firmwares end lines with a bare LF.
  const lineEnd = text.indexOf('\n', start);
  const candidate = text.slice(start + 2, lineEnd < 0 ? undefined : lineEnd).trimEnd();
  return candidate.toLowerCase() === headerBoundary.toLowerCase() ? candidate : headerBoundary;
}
