// Dahua EventHttpUpload: `Code=AccessControl;action=Pulse;index=0;data={...}` lines or the same as JSON.
import { inflateRawSync, inflateSync } from 'node:zlib';
import { InputError } from '../../../lib/errors/index.js';
import {
  emptyPush,
  attendanceEvent,
  parseJson,
  personId,
  resolveDirection,
  type DeviceContext,
  type Direction,
  type ParsedPush,
} from '../attendance.js';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

interface DahuaMessage {
  code: string;
  action: string;
  data: unknown;
}

const TEXT_MESSAGE = /^Code=([^;]*);action=([^;]*)(?:;index=([^;]*))?(?:;data=([\s\S]*))?$/i;

function textMessages(text: string): DahuaMessage[] {
  const messages: DahuaMessage[] = [];
  let current: string | undefined;
  const flush = () => {
    if (current === undefined) return;
    const m = TEXT_MESSAGE.exec(current.trim());
    if (!m) throw new InputError('body', 'expected Code=...;action=...;index=...;data=...');
    messages.push({
      code: m[1]!,
      action: m[2]!,
      data: m[4] === undefined || m[4].trim() === '' ? undefined : parseJson(m[4], 'data'),
    });
    current = undefined;
  };
  // A message starts at a line beginning with Code=; following lines belong to its (pretty-printed) data.
  for (const line of text.split(/\r?\n/)) {
    if (/^Code=/i.test(line)) {
      flush();
      current = line;
    } else if (current !== undefined) {
      current += `\n${line}`;
    } else if (line.trim() !== '' && !line.startsWith('--')) {
      throw new InputError('body', 'expected Code=...;action=...;index=...;data=...');
    }
  }
  flush();
  return messages;
}

function jsonMessages(json: unknown): DahuaMessage[] {
  const list = isObject(json) && Array.isArray(json.Events) ? json.Events : [json];
  return list.map((item, index) => {
    if (!isObject(item) || typeof item.Code !== 'string')
      throw new InputError(`Events[${index}].Code`, 'expected an event with a Code');
    return { code: item.Code, action: typeof item.Action === 'string' ? item.Action : '', data: item.Data };
  });
}

const TYPE_DIRECTION: Readonly<Record<string, Direction>> = { entry: 'in', exit: 'out' };

export function parseDahuaUpload(text: string, device: DeviceContext): ParsedPush {
  const trimmed = text.trimStart();
  const messages = trimmed.startsWith('{') ? jsonMessages(parseJson(trimmed, 'body')) : textMessages(text);
  const push = emptyPush();
  messages.forEach((message, index) => {
    const code = message.code.toLowerCase();
    if (code === 'heartbeat') {
      push.heartbeats += 1;
      return;
    }
    const data = message.data;
    // Status 1 is an opened door; 0 is a refused face or card, which is not attendance.
    if (
      code !== 'accesscontrol' ||
      !isObject(data) ||
      Number(data.Status ?? 1) !== 1 ||
      data.UserID === undefined ||
      data.UserID === ''
    ) {
      push.ignored += 1;
      return;
    }
    const field = `events[${index}].data`;
    const utc = data.UTC;
    if (typeof utc !== 'number' || !Number.isSafeInteger(utc) || utc < 0 || utc > 32503680000) {
      throw new InputError(`${field}.UTC`, 'expected the event time in seconds since 1970');
    }
    const occurredAt = new Date(utc * 1000);
    const pupil = personId(data.UserID, `${field}.UserID`);
    // The controller names the reader that saw the pass (Entry/Exit); that beats the device's configured direction.
    const reported = typeof data.Type === 'string' ? TYPE_DIRECTION[data.Type.toLowerCase()] : undefined;
    const direction = reported ?? resolveDirection(device, undefined, `${field}.Type`);
    const recNo = data.RecNo;
    const identity =
      typeof recNo === 'number' && Number.isSafeInteger(recNo)
        ? ['RecNo', recNo]
        : ['UserID', pupil, utc, String(data.Type ?? '')];
    push.events.push(
      attendanceEvent(device, 'dahua', {
        personId: pupil,
        direction,
        occurredAt,
        rawEventType: `AccessControl/${message.action}/method=${Number.isSafeInteger(data.Method) ? String(data.Method) : '?'}`,
        identity,
      }),
    );
  });
  return push;
}

function isZlib(body: Uint8Array): boolean {
  const [cmf, flg] = body;
  return cmf === 0x78 && flg !== undefined && ((cmf << 8) | flg) % 31 === 0;
}

/** Whether bytes begin like a Dahua message (after a UTF-8 byte-order mark and white space). */
const looksLikeMessage = (text: Buffer): boolean => /^(\xef\xbb\xbf)?\s*(\{|Code=|--)/i.test(text.subarray(0, 64).toString('latin1'));

/**
 * Dahua may deflate the body without saying so, and a raw deflate stream can begin with any byte, text included:
 * whether it is compressed is decided by inflating it, and the plain reading is kept only when inflating fails or
 * does not yield a message.
 */
export function inflateDahuaBody(body: Buffer, maxBytes: number): Buffer {
  const tooLarge = (error: unknown) => (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
  if (isZlib(body)) {
    try {
      return inflateSync(body, { maxOutputLength: maxBytes });
    } catch (error) {
      if (tooLarge(error)) throw new InputError('body', `inflated body is larger than ${maxBytes} bytes`, 413);
      throw new InputError('body', 'not a valid deflate stream');
    }
  }
  try {
    const inflated = inflateRawSync(body, { maxOutputLength: maxBytes });
    if (looksLikeMessage(inflated) || !looksLikeMessage(body)) return inflated;
    return body;
  } catch (error) {
    if (tooLarge(error) && !looksLikeMessage(body)) throw new InputError('body', `inflated body is larger than ${maxBytes} bytes`, 413);
    // Not raw deflate: parse it as text and let the parser name what is wrong.
    return body;
  }
}
