// PostgreSQL stops and restarts under load: what was acknowledged is stored once, and retries store the rest.
import { createDatabase, sleep, startPostgres, type Postgres } from '../../test/harness/index.js';
import { hikvisionEventJson, hikvisionMultipart, jpeg } from '../../test/webhook/fixtures.js';
import { startTestIngress, type TestIngress } from '../../test/webhook/ingress.js';

const EVENTS = 2000;
const SENDERS = 8;

let postgres: Postgres;
let ingress: TestIngress;

beforeAll(async () => {
  // A cluster of its own: stopping the run's shared one would break other test files.
  postgres = await startPostgres();
  ingress = await startTestIngress(await createDatabase(postgres.url, 'restart'));
});
afterAll(async () => {
  await ingress?.close();
  await postgres?.stop();
});

it('stores every acknowledged event exactly once and the retried rest after a restart', async () => {
  const picture = jpeg(8000);
  const acknowledged = new Set<string>();
  const refusedStatuses = new Map<string, number>();
  let next = 0;
  const send = async (i: number) => {
    const { body, contentType } = hikvisionMultipart({
      json: hikvisionEventJson({ serialNo: i, employeeNoString: `r${i}`, dateTime: '2026-11-20T07:55:12+05:00' }),
      picture,
    });
    for (;;) {
      try {
        const res = await fetch(`${ingress.base}/webhook/school-a/in/${ingress.tokens.hikvision}`, {
          method: 'POST',
          body,
          headers: { 'content-type': contentType },
        });
        await res.arrayBuffer();
        if (res.status === 200) {
          acknowledged.add(`r${i}`);
          return;
        }
        refusedStatuses.set(String(res.status), (refusedStatuses.get(String(res.status)) ?? 0) + 1);
      } catch (error) {
        refusedStatuses.set((error as Error).name, (refusedStatuses.get((error as Error).name) ?? 0) + 1);
      }
      await sleep(50);
    }
  };
  // Senders send up to `limit`; the limit rises only once PostgreSQL is really down, so the outage meets traffic
  // however fast the ingress is.
  let limit = EVENTS / 4;
  const senders = Array.from({ length: SENDERS }, async () => {
    for (;;) {
      if (next < limit) await send(next++);
      else if (limit >= EVENTS) return;
      else await sleep(5);
    }
  });
  while (acknowledged.size < EVENTS / 4) await sleep(10);
  await postgres.pause();
  const ackedWhileDown = acknowledged.size;
  limit = EVENTS;
  await sleep(2000);
  await postgres.resume();
  await Promise.all(senders);

  // The outage was seen by the senders as 503s, not as successes.
  expect(refusedStatuses.get('503')).toBeGreaterThan(0);
  expect([...refusedStatuses.keys()].filter((status) => /^[45]\d\d$/.test(status) && status !== '503')).toEqual([]);
  expect(ackedWhileDown).toBeLessThan(EVENTS);
  const rows: { person_id: string; n: string }[] = await ingress.dataSource.query(
    `SELECT person_id, count(*) AS n FROM attendance_event GROUP BY person_id ORDER BY person_id`,
  );
  expect(rows.filter((r) => r.n !== '1')).toEqual([]);
  const stored = new Set(rows.map((r) => r.person_id));
  expect(stored.size).toBe(EVENTS);
  expect([...acknowledged].filter((person) => !stored.has(person))).toEqual([]);

  // The outage is logged as an episode, not as one error per refused request.
  const logged = ingress.logs.map((line) => JSON.parse(line) as { level: string; message: string });
  expect(logged.filter((l) => l.level === 'error')).toEqual([]);
  const episodes = logged.filter((l) => l.message === 'database unavailable; answering 503 until it is back');
  expect(episodes.length).toBeGreaterThanOrEqual(1);
  expect(episodes.length).toBeLessThan(refusedStatuses.get('503')!);
  expect(episodes.map((l) => l.level)).toEqual(episodes.map(() => 'warn'));
  expect(logged.filter((l) => l.message === 'database available again')).toHaveLength(episodes.length);
});
