// Streams a Hikvision multipart push: keeps the event JSON parts, skips pictures unparsed as they arrive.
import { Transform, type TransformCallback } from 'node:stream';
import busboy from 'busboy';
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

/** Rewrites bare LF as CRLF across chunk edges; busboy follows RFC 7578 and knows only CRLF. */
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

/**
 * Feeds a multipart body to the parser and drops the body of a part the parser's handler skips (a picture), up to the
 * next delimiter, found by Buffer's native search, so the parser never scans it. The parser holds back up to a
 * delimiter's length of input before it sees a part's headers end, so the decision is taken once that much past the
 * headers has been written; a delimiter already inside that stretch ends the part there. Everything else passes
 * unchanged, and a body cut off inside a skipped part still ends inside it, which the parser reports as malformed.
 */
export class PartSkipper {
  private readonly delimiter: Buffer;
  /** The last bytes seen, kept so a delimiter or a header end across two chunks is still found. */
  private carry: Buffer = CRLF;
  /** How many of the carried bytes were written already (at the start, the line break stands before the body). */
  private carryWritten = CRLF.length;
  /** The body offset of carry[0]; the first delimiter has no line break before it, so one is carried in front. */
  private carryStart = -CRLF.length;
  private searchFrom = -CRLF.length;
  private mode: 'delimiter' | 'headers' | 'decide' | 'skip' | 'rest' = 'delimiter';
  /** Body offsets: where the current part's headers end, and how far to write before deciding to skip it. */
  private headersEnd = 0;
  private decideAt = 0;
  private skipRequested = false;

  constructor(
    boundary: string,
    private readonly write: (bytes: Buffer) => void,
  ) {
    this.delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
  }

  /** Called from the parser's handler of the part being read: its body is not passed on. */
  skipPart(): void {
    if (this.mode === 'decide') this.skipRequested = true;
  }

  feed(chunk: Buffer): void {
    const buf = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    const start = this.carryStart;
    let pos = this.carryWritten;
    for (;;) {
      const from = Math.max(this.searchFrom - start, 0);
      if (this.mode === 'delimiter') {
        const m = buf.indexOf(this.delimiter, from);
        if (m < 0) break;
        const after = m + this.delimiter.length;
        // Whether it closes the body shows in the next two bytes; the carry keeps the delimiter for the next chunk.
        if (after + 2 > buf.length) break;
        this.searchFrom = start + after;
        if (buf[after] === DASH && buf[after + 1] === DASH) {
          this.mode = 'rest';
          break;
        }
        this.mode = 'headers';
      } else if (this.mode === 'headers') {
        const h = buf.indexOf(HEADER_END, from);
        // Only a delimiter starting before the headers' end matters; searching past it would scan the whole picture.
        const d = (h < 0 ? buf : buf.subarray(0, h + this.delimiter.length - 1)).indexOf(this.delimiter, from);
        if (d >= 0 && (h < 0 || d < h)) {
          this.mode = 'delimiter';
          this.searchFrom = start + d;
          continue;
        }
        if (h < 0) break;
        this.headersEnd = start + h + HEADER_END.length;
        this.decideAt = this.headersEnd + this.delimiter.length - 1;
        this.skipRequested = false;
        this.mode = 'decide';
      } else if (this.mode === 'decide') {
        const until = Math.min(buf.length, this.decideAt - start);
        if (until > pos) {
          this.write(buf.subarray(pos, until));
          pos = until;
        }
        if (this.skipRequested) this.mode = 'skip';
        else if (start + pos >= this.decideAt) this.mode = 'delimiter';
        else break;
        this.searchFrom = this.headersEnd;
      } else if (this.mode === 'skip') {
        const m = buf.indexOf(this.delimiter, from);
        if (m >= 0 && m < pos) {
          // The part ended within what was written while deciding.
          this.mode = 'delimiter';
          this.searchFrom = start + m;
          continue;
        }
        if (m < 0) {
          // All but a possible start of the delimiter is dropped.
          pos = Math.max(pos, buf.length - (this.delimiter.length - 1));
          break;
        }
        pos = m;
        this.mode = 'delimiter';
        this.searchFrom = start + m;
      } else break;
    }
    const keep = Math.min(buf.length, this.delimiter.length + HEADER_END.length);
    if (this.mode === 'skip') {
      // The carry may hold the start of a delimiter written while deciding: it is searched, not written again.
      const from = Math.min(pos, buf.length - keep);
      this.carry = Buffer.from(buf.subarray(from));
      this.carryWritten = pos - from;
      this.carryStart = start + from;
      return;
    }
    if (pos < buf.length) this.write(buf.subarray(pos));
    this.carry = Buffer.from(buf.subarray(buf.length - keep));
    this.carryWritten = keep;
    this.carryStart = start + buf.length - keep;
  }
}

/** The text of every event part, in order. Rejects with a 4xx for a malformed, truncated or oversized body. */
export function readEventParts(req: IncomingMessage, limits: MultipartLimits): Promise<string[]> {
  const announced = headerBoundary(req.headers['content-type'] ?? '');
  if (Number(req.headers['content-length'] ?? 0) > limits.bodyBytes)
    return Promise.reject(tooLarge('body', limits.bodyBytes));
  return new Promise<string[]>((resolve, reject) => {
    const texts: string[] = [];
    const pending: Promise<void>[] = [];
    const head: Buffer[] = [];
    let headBytes = 0;
    let received = 0;
    let settled = false;
    let parser: busboy.Busboy | undefined;
    let skipper: PartSkipper | undefined;
    /** Where the body goes once the parser is set up; straight calls, as a piped stream per request costs more than it parses. */
    let input: { write(chunk: Buffer): void; end(): void } | undefined;

    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      req.off('data', count);
      if (parser) {
        parser.removeAllListeners();
        parser.on('error', () => undefined);
        parser.destroy();
      }
      // Drain what the client still sends so it reads our 4xx instead of a reset connection.
      req.resume();
      reject(error);
    };

    const addText = (name: string, text: string) => {
      // busboy decodes a field as UTF-8 with replacement characters; a device never sends U+FFFD on purpose.
      if (text.includes('\uFFFD')) throw new InputError(name, 'part is not valid UTF-8');
      texts.push(text);
    };

    const start = (ended: boolean) => {
      // Usually the whole body came in one chunk: copying it would only make garbage.
      const first = head.length === 1 ? head[0]! : Buffer.concat(head);
      const boundary = actualBoundary(announced, first);
      parser = busboy({
        headers: { 'content-type': `multipart/form-data; boundary="${boundary}"` },
        limits: {
          fieldSize: limits.eventPartBytes,
          parts: limits.parts,
          fields: limits.parts,
          files: limits.parts,
          headerPairs: 32,
        },
      });
      parser.on('field', (name: string | undefined, value, info) => {
        try {
          if (info.valueTruncated) throw tooLarge(`part ${name}`, limits.eventPartBytes);
          if (
            isHikvisionEventPart(name ?? '', info.mimeType) ||
            value.trimStart().startsWith('{') ||
            value.includes('<EventNotificationAlert')
          )
            addText(name ?? 'event', value);
        } catch (error) {
          fail(error);
        }
      });
      parser.on('file', (name: string | undefined, stream, info) => {
        // A broken body is reported once, by the parser; the part's own stream error adds nothing.
        stream.on('error', () => undefined);
        if (!isHikvisionEventPart(name ?? '', info.mimeType)) {
          // A picture: its bytes never reach the parser; what little does is dropped as it arrives.
          skipper?.skipPart();
          stream.resume();
          return;
        }
        const chunks: Buffer[] = [];
        pending.push(
          new Promise<void>((done) => {
            stream.on('data', (chunk: Buffer) => chunks.push(chunk));
            stream.on('limit', () => fail(tooLarge(`part ${name}`, limits.eventPartBytes)));
            stream.on('error', (error) => fail(new InputError('body', `malformed multipart: ${error.message}`)));
            stream.on('close', () => {
              try {
                texts.push(utf8(Buffer.concat(chunks), name ?? 'event'));
              } catch (error) {
                fail(error);
              }
              done();
            });
          }),
        );
      });
      parser.on('partsLimit', () => fail(tooLarge('number of parts', limits.parts)));
      parser.on('filesLimit', () => fail(tooLarge('number of parts', limits.parts)));
      parser.on('fieldsLimit', () => fail(tooLarge('number of parts', limits.parts)));
      parser.on('error', (error: Error) => fail(new InputError('body', `malformed multipart: ${error.message}`)));
      parser.on('close', () => {
        void Promise.all(pending).then(() => {
          if (settled) return;
          settled = true;
          req.off('data', count);
          resolve(texts);
        });
      });
      const target = parser;
      skipper = new PartSkipper(boundary, (bytes) => {
        if (!settled) target.write(bytes);
      });
      const parts = skipper;
      const direct = {
        write: (chunk: Buffer) => parts.feed(chunk),
        end: () => {
          if (!settled) target.end();
        },
      };
      // Pictures pass through the rewrite too; they are skipped after it, so changing their bytes costs nothing.
      if (usesBareLf(first)) {
        const lines = new CrlfLines();
        lines.on('data', direct.write);
        lines.on('end', direct.end);
        input = { write: (chunk) => lines.write(chunk), end: () => lines.end() };
      } else input = direct;
      input.write(first);
      if (ended) input.end();
    };

    function count(chunk: Buffer) {
      received += chunk.length;
      if (received > limits.bodyBytes) {
        fail(tooLarge('body', limits.bodyBytes));
        return;
      }
      if (input) {
        if (!settled) input.write(chunk);
        return;
      }
      head.push(chunk);
      headBytes += chunk.length;
      if (headBytes >= HEAD_BYTES) start(false);
    }

    req.on('data', count);
    req.on('end', () => {
      if (settled) return;
      if (!input) start(true);
      else input.end();
    });
    req.on('error', (error) => fail(new InputError('body', `request aborted: ${error.message}`)));
  });
}
