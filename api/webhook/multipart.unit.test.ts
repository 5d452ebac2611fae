// The picture skip: whatever the chunking, the parser gets every byte but the skipped part's body, and the event.
import { PassThrough } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { hikvisionEventJson, hikvisionMultipart, jpeg } from '../../test/webhook/fixtures.js';
import { PartSkipper, readEventParts } from './multipart.js';

const LIMITS = { bodyBytes: 1024 * 1024, eventPartBytes: 64 * 1024, parts: 8 };
const json = hikvisionEventJson({ serialNo: 7, employeeNoString: '007', dateTime: '2026-11-20T07:55:12+05:00' });
const DELIMITER = '\r\n--MIME_boundary';

/** The body cut into pieces of `size` bytes, the last one shorter. */
const chunked = (body: Buffer, size: number): Buffer[] =>
  Array.from({ length: Math.ceil(body.length / size) }, (_, i) => body.subarray(i * size, (i + 1) * size));

/** What reaches a parser that asks to skip the picture part as soon as its headers have ended. */
function passedOn(chunks: Buffer[]): string {
  const written: string[] = [];
  const skipper: PartSkipper = new PartSkipper('MIME_boundary', (bytes) => {
    written.push(bytes.toString('latin1'));
    const sofar = written.join('');
    const part = sofar.slice(sofar.lastIndexOf('--MIME_boundary'));
    if (part.includes('filename="Picture.jpg"') && part.includes('\r\n\r\n')) skipper.skipPart();
  });
  for (const chunk of chunks) skipper.feed(chunk);
  return written.join('');
}

/** The body with the picture cut to at most a delimiter's length less one: what the parser may still be shown. */
const acceptable = (body: Buffer, picture: Buffer): string[] =>
  Array.from({ length: DELIMITER.length }, (_, keep) =>
    body
      .toString('latin1')
      .replace(
        `${picture.toString('latin1')}${DELIMITER}`,
        `${picture.subarray(0, keep).toString('latin1')}${DELIMITER}`,
      ),
  );

function request(body: Buffer[], contentType: string): IncomingMessage {
  const stream = new PassThrough();
  const req = Object.assign(stream, { headers: { 'content-type': contentType } }) as unknown as IncomingMessage;
  setImmediate(() => {
    for (const chunk of body) stream.write(chunk);
    stream.end();
  });
  return req;
}

describe('PartSkipper', () => {
  for (const size of [300, 5, 0]) {
    for (const pictureFirst of [false, true]) {
      it(`passes everything but a ${size}-byte picture's body however the body is cut (picture ${pictureFirst ? 'first' : 'last'})`, () => {
        const picture = jpeg(300).subarray(0, size);
        const { body } = hikvisionMultipart({ json, picture, pictureFirst });
        const allowed = acceptable(body, picture);
        const seen = new Set<string>();
        for (let piece = 1; piece <= 40; piece++) seen.add(passedOn(chunked(body, piece)));
        for (let cut = 0; cut <= body.length; cut++) seen.add(passedOn([body.subarray(0, cut), body.subarray(cut)]));
        expect([...seen].filter((passed) => !allowed.includes(passed))).toEqual([]);
      });
    }
  }

  it('passes a body without a picture unchanged', () => {
    const { body } = hikvisionMultipart({ json });
    for (let piece = 1; piece <= 40; piece++) expect(passedOn(chunked(body, piece))).toBe(body.toString('latin1'));
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
