// Mutated bodies of every format: whatever arrives, the ingress answers below 500 and never throws past its handlers.
import { testDatabase } from '../../test/harness/index.js';
import {
  dahuaData,
  dahuaText,
  deflated,
  hikvisionEventJson,
  hikvisionMultipart,
  jpeg,
  signedBody,
  zktecoAttlog,
} from '../../test/webhook/fixtures.js';
import { startTestIngress, type TestIngress } from '../../test/webhook/ingress.js';

const PER_FORMAT = 10_000;
const CONCURRENCY = 16;

let ingress: TestIngress;
beforeAll(async () => {
  ingress = await startTestIngress(await testDatabase('fuzz'));
});
afterAll(async () => ingress?.close());

/** mulberry32: a seeded generator, so a failing body can be rebuilt from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOKENS = [
  '"',
  '{',
  '}',
  '[',
  ']',
  ':',
  ',',
  '\t',
  '\r\n',
  '\n',
  '--',
  '\\u0000',
  '\u00ff',
  '9'.repeat(30),
  '-1',
  'null',
  'true',
  ';',
  '=',
  'Code=',
  'data=',
];

function mutate(body: Buffer, rnd: () => number): Buffer {
  let out = body;
  const times = 1 + Math.floor(rnd() * 4);
  for (let i = 0; i < times; i++) {
    const at = Math.floor(rnd() * (out.length + 1));
    switch (Math.floor(rnd() * 7)) {
      case 0: {
        const copy = Buffer.from(out);
        if (copy.length > 0) copy[Math.min(at, copy.length - 1)] = Math.floor(rnd() * 256);
        out = copy;
        break;
      }
      case 1:
        out = out.subarray(0, at);
        break;
      case 2:
        out = Buffer.concat([
          out.subarray(0, at),
          Buffer.from(TOKENS[Math.floor(rnd() * TOKENS.length)]!),
          out.subarray(at),
        ]);
        break;
      case 3:
        out = Buffer.concat([out.subarray(0, at), out.subarray(Math.min(out.length, at + 1 + Math.floor(rnd() * 40)))]);
        break;
      case 4: {
        const from = Math.floor(rnd() * out.length);
        out = Buffer.concat([
          out.subarray(0, at),
          out.subarray(from, from + Math.floor(rnd() * 200)),
          out.subarray(at),
        ]);
        break;
      }
      case 5:
        out = Buffer.concat([
          out.subarray(0, at),
          Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 16) }, () => Math.floor(rnd() * 256))),
          out.subarray(at),
        ]);
        break;
      default:
        out = Buffer.from(
          out.toString('latin1').replace(/\d/g, (d) => (rnd() < 0.1 ? String((Number(d) + 7) % 10) : d)),
          'latin1',
        );
    }
  }
  return out;
}

interface Case {
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

type Format = (seed: number, rnd: () => number) => Case;

const picture = jpeg(2048);

const formats: Record<string, Format> = {
  hikvision: (seed, rnd) => {
    const { body, contentType } = hikvisionMultipart({
      json: hikvisionEventJson({
        serialNo: seed,
        employeeNoString: `p${seed % 500}`,
        dateTime: '2026-11-20T07:55:12+05:00',
      }),
      partName: ['event_log', 'AccessControllerEvent', 'event', 'EventNotificationAlert'][seed % 4]!,
      bodyBoundary: seed % 3 === 0 ? 'mime_BOUNDARY' : 'MIME_boundary',
      ...(seed % 2 === 0 ? { picture } : {}),
    });
    const header = rnd() < 0.1 ? mutate(Buffer.from(contentType), rnd).toString('latin1') : contentType;
    return {
      path: `/webhook/school-a/in/${ingress.tokens.hikvision}`,
      headers: { 'content-type': header.replace(/[^\t\x20-\x7e]/g, '') },
      body: mutate(body, rnd),
    };
  },
  zkteco: (seed, rnd) => ({
    path: '/iclock/cdata?SN=CKJ0001&table=ATTLOG',
    headers: { 'content-type': 'text/plain' },
    body: mutate(
      Buffer.from(
        zktecoAttlog(
          Array.from({ length: 10 }, (_, i) => ({
            pin: `z${(seed + i) % 700}`,
            time: `2026-11-20 07:${String(i).padStart(2, '0')}:${String(seed % 60).padStart(2, '0')}`,
            status: i % 6,
          })),
        ),
      ),
      rnd,
    ),
  }),
  dahua: (seed, rnd) => {
    const text = dahuaText([dahuaData({ recNo: seed, userId: `d${seed % 300}`, type: seed % 2 ? 'Entry' : 'Exit' })]);
    const body = seed % 3 === 0 ? deflated(text, seed % 2 === 0) : Buffer.from(text);
    return {
      path: `/dahua/school-a/${ingress.tokens.dahua}`,
      headers: { 'content-type': 'text/plain' },
      body: mutate(body, rnd),
    };
  },
  signed: (seed, rnd) => {
    const body = mutate(
      Buffer.from(
        signedBody([
          { eventId: `e${seed}`, personId: `s${seed % 400}`, direction: 'in', occurredAt: '2026-11-20T07:55:12+05:00' },
        ]),
      ),
      rnd,
    );
    // Re-signed after mutating, so the mutated JSON reaches the parser rather than stopping at the signature.
    return { path: '/signed/school-a/gw-1', headers: ingress.sign(body, `fuzz-${seed}`), body };
  },
};

async function run(format: Format, seedBase: number): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < PER_FORMAT) {
      const seed = seedBase + next++;
      const c = format(seed, random(seed));
      const res = await fetch(`${ingress.base}${c.path}`, { method: 'POST', headers: c.headers, body: c.body });
      await res.arrayBuffer();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status >= 500) failures.push(`seed ${seed}: ${res.status}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  expect(failures).toEqual([]);
  return statuses;
}

describe.each(Object.keys(formats))('%s bodies, mutated', (name) => {
  it(`answers ${PER_FORMAT} of them below 500`, async () => {
    const statuses = await run(formats[name]!, 1_000_000 * (Object.keys(formats).indexOf(name) + 1));
    // The mutations must reach both outcomes, or the run tested nothing.
    expect(statuses.get(200)).toBeGreaterThan(0);
    expect([...statuses.keys()].some((status) => status >= 400 && status < 500)).toBe(true);
    expect([...statuses.keys()].every((status) => status < 500)).toBe(true);
    expect(ingress.logs.filter((line) => JSON.parse(line).level === 'error')).toEqual([]);
  });
});
