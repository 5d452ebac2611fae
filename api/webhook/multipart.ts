// Streams a Hikvision multipart push: keeps the event JSON parts, discards pictures chunk by chunk as they arrive.
import { Transform, type TransformCallback } from 'node:stream';
import busboy from 'busboy';
import type { Request } from 'express';
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

/** The text of every event part, in order. Rejects with a 4xx for a malformed, truncated or oversized body. */
export function readEventParts(req: Request, limits: MultipartLimits): Promise<string[]> {
  const announced = headerBoundary(req.get('content-type') ?? '');
  if (Number(req.get('content-length') ?? 0) > limits.bodyBytes)
    return Promise.reject(tooLarge('body', limits.bodyBytes));
  return new Promise<string[]>((resolve, reject) => {
    const texts: string[] = [];
    const pending: Promise<void>[] = [];
    const head: Buffer[] = [];
    let headBytes = 0;
    let received = 0;
    let settled = false;
    let parser: busboy.Busboy | undefined;
    let sink: NodeJS.WritableStream | undefined;

    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      req.off('data', count);
      if (sink) req.unpipe(sink);
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
      const first = Buffer.concat(head);
      parser = busboy({
        headers: { 'content-type': `multipart/form-data; boundary="${actualBoundary(announced, first)}"` },
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
          if (isHikvisionEventPart(name ?? '', info.mimeType) || value.trimStart().startsWith('{') || value.includes('<EventNotificationAlert'))
            addText(name ?? 'event', value);
        } catch (error) {
          fail(error);
        }
      });
      parser.on('file', (name: string | undefined, stream, info) => {
        // A broken body is reported once, by the parser; the part's own stream error adds nothing.
        stream.on('error', () => undefined);
        if (!isHikvisionEventPart(name ?? '', info.mimeType)) {
          // A picture: dropped chunk by chunk as it arrives.
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
      // Pictures pass through the rewrite too; they are discarded, so changing their bytes costs nothing.
      const lines = usesBareLf(first) ? new CrlfLines() : undefined;
      lines?.pipe(parser);
      sink = lines ?? parser;
      if (ended) sink.end(first);
      else {
        sink.write(first);
        if (!settled) req.pipe(sink);
      }
    };

    function count(chunk: Buffer) {
      received += chunk.length;
      if (received > limits.bodyBytes) {
        fail(tooLarge('body', limits.bodyBytes));
        return;
      }
      if (parser) return;
      head.push(chunk);
      headBytes += chunk.length;
      if (headBytes >= HEAD_BYTES) start(false);
    }

    req.on('data', count);
    req.on('end', () => {
      if (!parser && !settled) start(true);
    });
    req.on('error', (error) => fail(new InputError('body', `request aborted: ${error.message}`)));
  });
}
