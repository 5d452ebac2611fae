// The load generator, run as its own process: the realistic mix over keep-alive loopback connections.
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { signStandardWebhook, whsecKey } from '../../api/webhook/vendors/standard-webhooks.js';
import { hikvisionEventJson, hikvisionMultipart, jpeg, signedBody, zktecoAttlog } from '../../test/webhook/fixtures.js';

const base = new URL(process.env.BENCH_BASE!);
const token = process.env.BENCH_TOKEN!;
const key = whsecKey(process.env.BENCH_WHSEC!);
const seconds = Number(process.env.BENCH_SECONDS ?? 30);
const warmup = Number(process.env.BENCH_WARMUP ?? 3);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 64);

const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
const picture = jpeg(30 * 1024);
const run = randomBytes(3).toString('hex');
let serial = 0;

interface Shot {
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  events: number;
}

function localTime(n: number): string {
  const t = new Date(Date.UTC(2026, 10, 20, 2, 0, 0) + (n % 86_400) * 1000);
  return t.toISOString().slice(0, 19).replace('T', ' ');
}

function shot(): Shot {
  const n = serial++;
  const pick = n % 10;
  if (pick < 7) {
    const { body, contentType } = hikvisionMultipart({
      json: hikvisionEventJson({ serialNo: n, employeeNoString: `h${run}${n}`, dateTime: new Date().toISOString() }),
      picture,
    });
    return { path: `/webhook/bench/in/${token}`, headers: { 'content-type': contentType }, body, events: 1 };
  }
  if (pick < 9) {
    const lines = Array.from({ length: 10 }, (_, i) => ({
      pin: `z${run}${n}x${i}`,
      time: localTime(n * 10 + i),
      status: i % 2,
    }));
    return {
      path: '/iclock/cdata?SN=BENCHZK&table=ATTLOG',
      headers: { 'content-type': 'text/plain' },
      body: Buffer.from(zktecoAttlog(lines)),
      events: 10,
    };
  }
  const body = Buffer.from(
    signedBody([
      { eventId: `${run}-${n}`, personId: `s${run}${n}`, direction: 'in', occurredAt: new Date().toISOString() },
    ]),
  );
  const id = `bench-${run}-${n}`;
  const timestamp = String(Math.floor(Date.now() / 1000));
  return {
    path: '/signed/bench/gw',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': timestamp,
      'webhook-signature': signStandardWebhook(key, id, timestamp, body),
    },
    body,
    events: 1,
  };
}

function send(s: Shot): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: base.hostname,
        port: base.port,
        path: s.path,
        method: 'POST',
        headers: { ...s.headers, 'content-length': String(s.body.length) },
        agent,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(s.body);
  });
}

const started = Date.now();
const measureFrom = started + warmup * 1000;
const end = measureFrom + seconds * 1000;
const latencies: number[] = [];
let events = 0;
let requests = 0;
const failures = new Map<number, number>();

async function worker(): Promise<void> {
  while (Date.now() < end) {
    const s = shot();
    const t0 = performance.now();
    const status = await send(s);
    const ms = performance.now() - t0;
    if (status !== 200) failures.set(status, (failures.get(status) ?? 0) + 1);
    if (Date.now() >= measureFrom && status === 200) {
      latencies.push(ms);
      events += s.events;
      requests += 1;
    }
  }
}

await Promise.all(Array.from({ length: concurrency }, worker));
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
process.stdout.write(
  `${JSON.stringify({ seconds, concurrency, requests, events, eventsPerSecond: events / seconds, requestsPerSecond: requests / seconds, p50: pct(50), p99: pct(99), failures: Object.fromEntries(failures) })}\n`,
);
agent.destroy();
