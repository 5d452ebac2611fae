// CPU per Hikvision multipart body in readEventParts (event JSON + 30 KB picture, one chunk), beside reading and
// discarding the same body: `tsx bench/webhook/multipart.ts` (N bodies, default 20000). Prints figures only.
import { Readable } from 'node:stream';
import { readEventParts } from '../../api/webhook/multipart.js';
import { hikvisionEventJson, jpeg } from '../../test/webhook/fixtures.js';
const B = 'MIME_boundary';
const json = JSON.stringify(
  hikvisionEventJson({ serialNo: 1, employeeNoString: 'h1', dateTime: new Date().toISOString() }),
);
const body = Buffer.concat([
  Buffer.from(
    `--${B}\r\nContent-Disposition: form-data; name="event_log"\r\nContent-Type: application/json\r\nContent-Length: ${json.length}\r\n\r\n${json}\r\n`,
  ),
  Buffer.from(
    `--${B}\r\nContent-Disposition: form-data; name="Picture"; filename="Picture.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
  ),
  jpeg(30 * 1024),
  Buffer.from(`\r\n--${B}--\r\n`),
]);
const headers: Record<string, string> = {
  'content-type': `multipart/form-data; boundary=${B}`,
  'content-length': String(body.length),
};
function req(): Readable & { headers: Record<string, string> } {
  return Object.assign(Readable.from([body], { objectMode: false }), { headers });
}
const N = Number(process.env.N ?? 20000);
// Warm-up, so the figures are of optimised code.
for (let i = 0; i < 2000; i++)
  await readEventParts(req() as never, { bodyBytes: 2 << 20, eventPartBytes: 65536, parts: 8 });
const cpu = process.cpuUsage();
for (let i = 0; i < N; i++)
  await readEventParts(req() as never, { bodyBytes: 2 << 20, eventPartBytes: 65536, parts: 8 });
const used = process.cpuUsage(cpu);
console.log('readEventParts', ((used.user + used.system) / N).toFixed(1), 'us CPU per body');
const c2 = process.cpuUsage();
for (let i = 0; i < N; i++)
  await new Promise<void>((res) => {
    const r = req();
    r.on('data', () => {});
    r.on('end', res);
  });
const u2 = process.cpuUsage(c2);
console.log('read and discard', ((u2.user + u2.system) / N).toFixed(1), 'us CPU per body');
