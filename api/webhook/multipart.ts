// Streams a Hikvision multipart push (RFC 7578): keeps the event parts, skips pictures as they arrive. Delimiters and
// header ends are found by Buffer's native search, so a picture's bytes are never looked at one by one. A general
// form parser (busboy) built a parser and its streams per push: without it the ingress spent a quarter less CPU a
// push (bench/webhook: 211-226 µs a request against 296).
import { Transform, type TransformCallback } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { InputError } from '../../lib/errors/index.js';
import { utf8 } from './attendance.js';
import { actualBoundary, isHikvisionEventPart } from './vendors/hikvision.js';

export interface MultipartLimits {
  bodyBytes: number;
  eventPartBytes: number;
  parts: number;
}

const HEAD_BYTES = 256;

const tooLarge = (what: string, limit: number) => new InputError('body', `${what} is larger than ${limit} bytes`, 413);

function headerBoundary(contentType: string): string {
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^;\s"]{1,70}))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  if (!boundary) throw new InputError('content-type', 'multipart/form-data needs a boundary of 1-70 characters');
  return boundary;
}

/** Whether the body's first boundary line ends with a bare LF, as some Hikvision firmwares write every line. */
export function usesBareLf(head: Uint8Array): boolean {
  const text = Buffer.from(head.subarray(0, 512)).toString('latin1');
  const newline = text.indexOf('\n', Math.max(text.indexOf('--'), 0));
  return newline > 0 && text[newline - 1] !== '\r';
}

/** Rewrites bare LF as CRLF across chunk edges; RFC 7578 knows only CRLF. */
export class CrlfLines extends Transform {
  private lastWasCr = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let from = 0;
    const parts: Buffer[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      const previousCr = i === 0 ? this.lastWasCr : chunk[i - 1] === 0x0d;
      if (byte === 0x0a && !previousCr) {
        parts.push(chunk.subarray(from, i), CRLF);
        from = i + 1;
      }
    }
    parts.push(chunk.subarray(from));
    if (chunk.length > 0) this.lastWasCr = chunk[chunk.length - 1] === 0x0d;
    done(null, Buffer.concat(parts));
  }
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');
const DASH = 0x2d;
/** A part's header block at most; a longer one is not a terminal's. */
const MAX_HEADER_BYTES = 16 * 1024;
/** Spaces and tabs after a boundary (RFC 2046 transport padding) at most. */
const MAX_PADDING = 256;

const malformed = (detail: string) => new InputError('body', `malformed multipart: ${detail}`);

interface Part {
  name: string;
  /** A part with a filename: kept only when its name or type says it is the event. */
  file: boolean;
  /** Kept: read into `chunks` (an event file part, or any field, whose value decides). */
  keep: boolean;
  chunks: Buffer[];
  bytes: number;
}

/** The part's name, whether it has a filename and its media type; undefined for a part that is not form data. */
function partHeaders(block: string): { name: string; file: boolean; mimeType: string } | undefined {
  let disposition: string | undefined;
  let mimeType = 'text/plain';
  let pairs = 0;
  for (const line of block.split('\r\n')) {
    if (line === '' || ++pairs > 32) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw malformed('a part header line has no name');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-disposition') disposition = value;
    else if (name === 'content-type') mimeType = value.split(';')[0]!.trim().toLowerCase() || mimeType;
  }
  if (!disposition || !/^form-data\s*(;|$)/i.test(disposition)) return undefined;
  let partName = '';
  let file = false;
  for (const m of disposition.matchAll(/;\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g)) {
    const key = m[1]!.toLowerCase();
    if (key === 'name') partName = (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1').trim();
    else if (key === 'filename' || key === 'filename*') file = true;
  }
  return { name: partName, file, mimeType };
}

/**
 * Reads a multipart body written to it chunk by chunk and collects the text of every event part, in order: a part
 * named or typed as Hikvision's event, or a field whose value is JSON or an `EventNotificationAlert`. Other file
 * parts (pictures) are skipped: only a delimiter's length of them is ever kept, to find a delimiter across chunks.
 * Throws a 4xx InputError for a malformed, oversized or truncated body.
 */
export class EventPartReader {
  readonly texts: string[] = [];
  private readonly delimiter: Buffer;
  private readonly dashBoundary: Buffer;
  private pending: Buffer | undefined;
  private state: 'start' | 'preamble' | 'after-boundary' | 'headers' | 'body' | 'epilogue' = 'start';
  private parts = 0;
  private part: Part | undefined;

  constructor(
    boundary: string,
    private readonly limits: Pick<MultipartLimits, 'eventPartBytes' | 'parts'>,
  ) {
    this.delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
    this.dashBoundary = this.delimiter.subarray(2);
  }

  write(chunk: Buffer): void {
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    let pos = 0;
    for (;;) {
      if (this.state === 'start') {
        // The first boundary may open the body with no line break before it.
        if (buf.length < this.dashBoundary.length) return this.keep(buf, 0);
        if (buf.subarray(0, this.dashBoundary.length).equals(this.dashBoundary)) {
          pos = this.dashBoundary.length;
          this.state = 'after-boundary';
        } else this.state = 'preamble';
      } else if (this.state === 'preamble') {
        const m = buf.indexOf(this.delimiter, pos);
        if (m < 0) return this.keep(buf, Math.max(pos, buf.length - this.delimiter.length + 1));
        pos = m + this.delimiter.length;
        this.state = 'after-boundary';
      } else if (this.state === 'after-boundary') {
        if (buf.length - pos < 2) return this.keep(buf, pos);
        if (buf[pos] === DASH && buf[pos + 1] === DASH) {
          this.state = 'epilogue';
          return;
        }
        let i = pos;
        while (i < buf.length && (buf[i] === 0x20 || buf[i] === 0x09)) i++;
        if (i - pos > MAX_PADDING) throw malformed('a boundary line is too long');
        if (buf.length - i < 2) return this.keep(buf, pos);
        if (buf[i] !== 0x0d || buf[i + 1] !== 0x0a) throw malformed('a boundary is not followed by a line break');
        pos = i + 2;
        this.state = 'headers';
      } else if (this.state === 'headers') {
        if (buf.length - pos < 2) return this.keep(buf, pos);
        if (buf[pos] === 0x0d && buf[pos + 1] === 0x0a) {
          // No headers: the boundary line's break and this one end an empty block.
          this.begin('');
          pos += 2;
        } else {
          const end = buf.indexOf(HEADER_END, pos);
          if (end < 0) {
            if (buf.length - pos > MAX_HEADER_BYTES) throw malformed('a part header is too large');
            return this.keep(buf, pos);
          }
          this.begin(buf.toString('latin1', pos, end));
          pos = end + HEADER_END.length;
        }
        this.state = 'body';
      } else if (this.state === 'body') {
        const m = buf.indexOf(this.delimiter, pos);
        if (m < 0) {
          // All but a possible start of the delimiter belongs to the part.
          const safe = Math.max(pos, buf.length - this.delimiter.length + 1);
          this.take(buf, pos, safe);
          return this.keep(buf, safe);
        }
        this.take(buf, pos, m);
        this.finish();
        pos = m + this.delimiter.length;
        this.state = 'after-boundary';
      } else return;
    }
  }

  /** The body ended: throws unless its closing boundary was read. */
  end(): string[] {
    if (this.state !== 'epilogue') throw malformed('Unexpected end of form');
    return this.texts;
  }

  private keep(buf: Buffer, from: number): void {
    if (from < buf.length) this.pending = Buffer.from(buf.subarray(from));
  }

  private begin(block: string): void {
    if (++this.parts > this.limits.parts)
      throw new InputError('body', `number of parts is larger than ${this.limits.parts}`, 413);
    const headers = partHeaders(block);
    // A part that is not form data is skipped, as a form parser does.
    const keep = headers !== undefined && (!headers.file || isHikvisionEventPart(headers.name, headers.mimeType));
    this.part = { name: headers?.name ?? '', file: headers?.file ?? false, keep, chunks: [], bytes: 0 };
  }

  private take(buf: Buffer, from: number, to: number): void {
    const part = this.part!;
    if (!part.keep || to <= from) return;
    part.bytes += to - from;
    if (part.bytes > this.limits.eventPartBytes) throw tooLarge(`part ${part.name}`, this.limits.eventPartBytes);
    part.chunks.push(buf.subarray(from, to));
  }

  private finish(): void {
    const part = this.part!;
    this.part = undefined;
    if (!part.keep) return;
    const bytes = part.chunks.length === 1 ? part.chunks[0]! : Buffer.concat(part.chunks, part.bytes);
    if (part.file) {
      this.texts.push(utf8(bytes, part.name || 'event'));
      return;
    }
    const value = bytes.toString('utf8');
    if (
      !isHikvisionEventPart(part.name, 'text/plain') &&
      !value.trimStart().startsWith('{') &&
      !value.includes('<EventNotificationAlert')
    )
      return;
    // A device never sends U+FFFD on purpose: a replacement character means the bytes were not UTF-8.
    if (value.includes('\uFFFD')) throw new InputError(part.name || 'event', 'part is not valid UTF-8');
    this.texts.push(value);
  }
}

/** The text of every event part, in order. Rejects with a 4xx for a malformed, truncated or oversized body. */
export function readEventParts(req: IncomingMessage, limits: MultipartLimits): Promise<string[]> {
  const announced = headerBoundary(req.headers['content-type'] ?? '');
  if (Number(req.headers['content-length'] ?? 0) > limits.bodyBytes)
    return Promise.reject(tooLarge('body', limits.bodyBytes));
  return new Promise<string[]>((resolve, reject) => {
    const head: Buffer[] = [];
    let headBytes = 0;
    let received = 0;
    let settled = false;
    /** Where the body goes once the boundary is known: straight calls, or through the bare-LF rewrite. */
    let input: { write(chunk: Buffer): void; end(): void } | undefined;

    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      req.off('data', count);
      // Drain what the client still sends so it reads our 4xx instead of a reset connection.
      req.resume();
      reject(error);
    };

    const start = () => {
      // Usually the whole body came in one chunk: copying it would only make garbage.
      const first = head.length === 1 ? head[0]! : Buffer.concat(head);
      const reader = new EventPartReader(actualBoundary(announced, first), limits);
      const direct = {
        write: (chunk: Buffer) => {
          try {
            if (!settled) reader.write(chunk);
          } catch (error) {
            fail(error);
          }
        },
        end: () => {
          try {
            if (settled) return;
            const texts = reader.end();
            settled = true;
            req.off('data', count);
            resolve(texts);
          } catch (error) {
            fail(error);
          }
        },
      };
      if (usesBareLf(first)) {
        const lines = new CrlfLines();
        lines.on('data', direct.write);
        lines.on('end', direct.end);
        input = { write: (chunk) => lines.write(chunk), end: () => lines.end() };
      } else input = direct;
      input.write(first);
    };

    function count(chunk: Buffer) {
      received += chunk.length;
      if (received > limits.bodyBytes) {
        fail(tooLarge('body', limits.bodyBytes));
        return;
      }
      if (input) {
        input.write(chunk);
        return;
      }
      head.push(chunk);
      headBytes += chunk.length;
      if (headBytes >= HEAD_BYTES) start();
    }

    req.on('data', count);
    req.on('end', () => {
      if (settled) return;
      if (!input) start();
      input!.end();
    });
    req.on('error', (error) => fail(new InputError('body', `request aborted: ${error.message}`)));
  });
}
