// The load generator, run as its own process: the realistic mix over keep-alive loopback connections.
// It is kept cheap (the picture part built once, undici's pool) because it shares the machine's two cores with the
// ingress and PostgreSQL, and it reports its own CPU so the run can show what the ingress was left with.
import { randomBytes } from 'node:crypto';
import { Pool } from 'undici';
import { signStandardWebhook, whsecKey } from '../../api/webhook/vendors/standard-webhooks.js';
import { hikvisionEventJson, jpeg, signedBody, zktecoAttlog } from '../../test/webhook/fixtures.js';

const base = process.env.BENCH_BASE!;
const token = process.env.BENCH_TOKEN!;
const key = whsecKey(process.env.BENCH_WHSEC!);
const seconds = Number(process.env.BENCH_SECONDS ?? 30);
const warmup = Number(process.env.BENCH_WARMUP ?? 3);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 64);

const pool = new Pool(base, { connections: concurrency, pipelining: 1, keepAliveTimeout: 60_000 });
const run = randomBytes(3).toString('hex');
const BOUNDARY = 'MIME_boundary';
// The same bytes a Hikvision terminal sends after its event part: the picture part and the closing boundary.
const pictureTail = Buffer.concat([
  Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="Picture"; filename="Picture.jpg"\r\nContent-Type: image/jpeg\r\nContent-Length: ${30 * 1024}\r\n\r\n`,
  ),
  jpeg(30 * 1024),
  Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
]);
const multipartType = `multipart/form-data; boundary=${BOUNDARY}`;
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
    const json = JSON.stringify(
      hikvisionEventJson({ serialNo: n, employeeNoString: `h${run}${n}`, dateTime: new Date().toISOString() }),
    );
    const head = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="event_log"\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}\r\n`;
    return {
      path: `/webhook/bench/in/${token}`,
      headers: { 'content-type': multipartType },
      body: Buffer.concat([Buffer.from(head), pictureTail]),
      events: 1,
    };
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

async function send(s: Shot): Promise<number> {
  try {
    const res = await pool.request({ path: s.path, method: 'POST', headers: s.headers, body: s.body });
    await res.body.dump();
    return res.statusCode;
  } catch {
    return 0;
  }
}

const started = Date.now();
const measureFrom = started + warmup * 1000;
const end = measureFrom + seconds * 1000;
const latencies: number[] = [];
let events = 0;
let requests = 0;
const failures = new Map<number, number>();
let cpuAtStart: NodeJS.CpuUsage | undefined;
setTimeout(() => {
  cpuAtStart = process.cpuUsage();
  // Tells the runner the measured window starts, so it can read the other processes' CPU over the same window.
  process.stdout.write(`${JSON.stringify({ phase: 'measuring' })}\n`);
}, measureFrom - started);

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
const cpu = process.cpuUsage(cpuAtStart);
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
process.stdout.write(
  `${JSON.stringify({
    phase: 'done',
    seconds,
    concurrency,
    requests,
    events,
    eventsPerSecond: events / seconds,
    requestsPerSecond: requests / seconds,
    p50: pct(50),
    p90: pct(90),
    p99: pct(99),
    failures: Object.fromEntries(failures),
    cpuCores: (cpu.user + cpu.system) / 1e6 / seconds,
  })}\n`,
);
await pool.close();
