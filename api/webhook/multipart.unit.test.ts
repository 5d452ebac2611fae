// The event parts of a multipart push, whatever the chunking; pictures skipped, malformed bodies refused.
import { PassThrough } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { hikvisionEventJson, hikvisionMultipart, jpeg } from '../../test/webhook/fixtures.js';
import { EventPartReader, readEventParts } from './multipart.js';

const LIMITS = { bodyBytes: 1024 * 1024, eventPartBytes: 64 * 1024, parts: 8 };
const json = hikvisionEventJson({ serialNo: 7, employeeNoString: '007', dateTime: '2026-11-20T07:55:12+05:00' });
const DELIMITER = '\r\n--MIME_boundary';

/** The body cut into pieces of `size` bytes, the last one shorter. */
const chunked = (body: Buffer, size: number): Buffer[] =>
  Array.from({ length: Math.ceil(body.length / size) }, (_, i) => body.subarray(i * size, (i + 1) * size));

/** What a reader fed `chunks` returns, or the message it throws. */
function read(chunks: Buffer[], boundary = 'MIME_boundary'): string[] | string {
  const reader = new EventPartReader(boundary, LIMITS);
  try {
    for (const chunk of chunks) reader.write(chunk);
    return reader.end();
  } catch (error) {
    return (error as Error).message;
  }
}

function request(body: Buffer[], contentType: string): IncomingMessage {
  const stream = new PassThrough();
  const req = Object.assign(stream, { headers: { 'content-type': contentType } }) as unknown as IncomingMessage;
  setImmediate(() => {
    for (const chunk of body) stream.write(chunk);
    stream.end();
  });
  return req;
}

describe('EventPartReader', () => {
  for (const size of [300, 5, 0]) {
    for (const pictureFirst of [false, true]) {
      it(`returns the event beside a ${size}-byte picture however the body is cut (picture ${pictureFirst ? 'first' : 'last'})`, () => {
        // A picture that holds most of a delimiter must not end its part early.
        const picture = Buffer.concat([
          jpeg(300).subarray(0, Math.max(0, size - DELIMITER.length)),
          Buffer.from(DELIMITER.slice(0, -1)),
        ]).subarray(0, size);
        const { body } = hikvisionMultipart({ json, picture, pictureFirst });
        const results = new Set<string>();
        for (let piece = 1; piece <= 40; piece++) results.add(JSON.stringify(read(chunked(body, piece))));
        for (let cut = 0; cut <= body.length; cut++)
          results.add(JSON.stringify(read([body.subarray(0, cut), body.subarray(cut)])));
        expect([...results]).toEqual([JSON.stringify([JSON.stringify(json)])]);
      });
    }
  }

  it('skips a preamble, the epilogue, transport padding, a part without headers and a part that is not form data', () => {
    const text = JSON.stringify(json);
    const body = Buffer.from(
      [
        'preamble text\r\n--b  \t\r\n\r\nno headers\r\n',
        '--b\r\nContent-Disposition: attachment; name="event_log"\r\n\r\n{"not":"form data"}\r\n',
        '--b\r\nContent-Disposition: form-data; name="other"\r\n\r\nplain value\r\n',
        `--b\r\ncontent-disposition: form-data; name=event_log\r\ncontent-type: application/json; charset=utf-8\r\n\r\n${text}\r\n`,
        '--b--\r\nepilogue\r\n--b\r\n',
      ].join(''),
    );
    for (let piece = 1; piece <= 20; piece++) expect(read(chunked(body, piece), 'b')).toEqual([text]);
  });

  it('refuses a body without its closing boundary, a boundary run into its part and too many parts', () => {
    const { body } = hikvisionMultipart({ json, picture: jpeg(300) });
    const many = Buffer.from(
      `${Array.from({ length: 9 }, (_, i) => `--b\r\nContent-Disposition: form-data; name="p${i}"\r\n\r\nx\r\n`).join('')}--b--\r\n`,
    );
    expect([
      read([body.subarray(0, body.length - 4)]),
      read([Buffer.from('--MIME_boundaryX\r\n\r\n')]),
      read([many], 'b'),
    ]).toEqual([
      'body: malformed multipart: Unexpected end of form',
      'body: malformed multipart: a boundary is not followed by a line break',
      'body: number of parts is larger than 8',
    ]);
  });
});

describe('readEventParts', () => {
  it('reads the event part whatever the chunking, with the picture before or after it, and with bare LF lines', async () => {
    for (const init of [
      {},
      { pictureFirst: true },
      { newline: '\n' as const },
      { jsonAsFile: true, pictureFirst: true },
    ]) {
      const { body, contentType } = hikvisionMultipart({ json, picture: jpeg(3000), ...init });
      for (const size of [1, 7, 64, 255, 256, 1000, 4096, body.length]) {
        await expect(readEventParts(request(chunked(body, size), contentType), LIMITS)).resolves.toEqual([
          JSON.stringify(json),
        ]);
      }
    }
  });

  it('refuses a body cut off inside the skipped picture', async () => {
    const { body, contentType } = hikvisionMultipart({ json, picture: jpeg(3000) });
    for (const size of [64, 4096]) {
      await expect(
        readEventParts(request(chunked(body.subarray(0, body.length - 1500), size), contentType), LIMITS),
      ).rejects.toThrow('malformed multipart');
    }
  });
});
