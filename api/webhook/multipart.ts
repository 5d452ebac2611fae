// Streams a Hikvision multipart push: keeps the event JSON parts, discards pictures chunk by chunk as they arrive.
import busboy from 'busboy';
import type { Request } from 'express';
import { InputError } from '../platform/errors.js';
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

    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      req.off('data', count);
      if (parser) {
        req.unpipe(parser);
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
          if (isHikvisionEventPart(name ?? '', info.mimeType) || value.trimStart().startsWith('{'))
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
      if (ended) parser.end(first);
      else {
        parser.write(first);
        if (!settled) req.pipe(parser);
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
