// `npx tsx bench/operator/run.ts [--schools N] [--nodes N] [--edits N] [--cpu-prof DIR] [--apiserver-prof PREFIX]`: the operator against a real
// API server with a national fleet. Prints figures and one table against the targets; asserts nothing.
// BENCH_OPERATOR_NODE_OPTIONS adds Node.js flags to the operator's (e.g. "--trace-gc-nvp"; its log is kept with
// POSBON_KEEP_HARNESS=1). BENCH_TIMELINE=1 prints the cores each side used, every 250 ms of the cold start.
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import https from 'node:https';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { GROUP, VERSION, type MediaNode } from '../../crds/index.js';
import { installCrds } from '../../crds/install.js';
import { keepAlive } from '../../lib/kube/index.js';
import { HASH_ANNOTATION } from '../../operator/controller/fleet-controller.js';
import { DEFAULT_RENDER_OPTIONS } from '../../operator/core/mediamtx.js';
import { planFleet } from '../../operator/core/plan.js';
import { sealedShardConfig } from '../../operator/core/shard-config.js';
import { configMapName } from '../../operator/workload.js';
import { generateFleet, mediaNode } from '../../test/fixtures/fleet.js';
import { freePort, spawnService, startControlPlane, type Service } from '../../test/harness/index.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const option = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
const SCHOOLS = arg('schools', 10_000);
const NODES = arg('nodes', 50);
const EDITS = arg('edits', 200);
const shape = { schools: SCHOOLS, nvrsPerSchool: 3, camerasPerNvr: 5, nodes: NODES, namespace: 'fleet' };
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** CPU seconds (user and system) in a /proc stat file, `undefined` once its process or thread is gone; the clock
 * ticks are 100 a second on Linux. The name before the fields may hold spaces and parentheses. */
async function statSeconds(file: string): Promise<number | undefined> {
  const stat = await readFile(file, 'utf8').catch(() => undefined);
  if (!stat) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
/** CPU seconds a process has used so far, all its threads together. */
async function cpuSeconds(pid: number): Promise<number> {
  return (await statSeconds(`/proc/${pid}/stat`)) ?? NaN;
}
/** CPU seconds of a process's main thread and of its other threads (V8's garbage collector and compilers, libuv's pool). */
async function threadSeconds(pid: number): Promise<Array<[string, number]>> {
  let main = 0;
  let others = 0;
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    const seconds = (await statSeconds(`/proc/${pid}/task/${tid}/stat`)) ?? 0;
    if (Number(tid) === pid) main = seconds;
    else others += seconds;
  }
  return [['main thread', main], ['other threads', others]];
}
/** Half the operator's memory limit in the chart (`operator.resources.limits.memory`), in MiB. */
async function chartHeapMiB(): Promise<number> {
  const values = parse(await readFile(join(import.meta.dirname, '../../charts/posbon/values.yaml'), 'utf8')) as { operator: { resources: { limits: { memory: string } } } };
  const limit = /^(\d+)(Mi|Gi)$/.exec(values.operator.resources.limits.memory);
  if (!limit) throw new Error(`operator.resources.limits.memory ${values.operator.resources.limits.memory}: expected Mi or Gi`);
  return (Number(limit[1]) * (limit[2] === 'Gi' ? 1024 : 1)) / 2;
}
const cpuLine = (parts: Array<[string, number]>) => parts.map(([name, s]) => `${name} ${s.toFixed(2)}`).join(', ');

async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

function pureFigures(): void {
  const fleet = generateFleet(shape);
  let t = performance.now();
  const plan = planFleet(fleet);
  const cold = performance.now() - t;
  t = performance.now();
  planFleet(fleet);
  const warm = performance.now() - t;
  const cams = [...plan.shards.values()].map((s) => s.cameraCount);
  const mean = cams.reduce((a, b) => a + b, 0) / cams.length;
  console.log(`pure plan of ${SCHOOLS} schools / ${fleet.nvrs.length} NVRs / ${NODES} nodes: cold ${cold.toFixed(0)} ms, warm ${warm.toFixed(0)} ms`);
  console.log(`cameras per node: max/mean ${(Math.max(...cams) / mean).toFixed(3)} (mean ${mean.toFixed(0)})`);
  const before = plan.assignments;
  const added = planFleet({ ...fleet, nodes: [...fleet.nodes, mediaNode('node-new', {}, 251)] });
  const movedAdd = [...before].filter(([s, a]) => added.assignments.get(s)!.node !== a.node).length;
  const addCams = [...added.shards.values()].map((s) => s.cameraCount);
  const addMean = addCams.reduce((a, b) => a + b, 0) / addCams.length;
  console.log(
    `add 1 node to ${NODES}: ${movedAdd} schools moved = ${((100 * movedAdd) / SCHOOLS).toFixed(2)} % vs ideal ${(100 / (NODES + 1)).toFixed(2)} % → ${(movedAdd / (SCHOOLS / (NODES + 1))).toFixed(2)}x; max/mean after ${(Math.max(...addCams) / addMean).toFixed(3)}`,
  );
  const removed = fleet.nodes[Math.min(7, NODES - 1)]!.metadata.name;
  const less = planFleet({ ...fleet, nodes: fleet.nodes.filter((n) => n.metadata.name !== removed) });
  const movedRemove = [...before].filter(([s, a]) => less.assignments.get(s)!.node !== a.node).length;
  const lessCams = [...less.shards.values()].map((s) => s.cameraCount);
  const lessMean = lessCams.reduce((a, b) => a + b, 0) / lessCams.length;
  console.log(
    `remove 1 node of ${NODES}: ${movedRemove} schools moved = ${((100 * movedRemove) / SCHOOLS).toFixed(2)} % vs ideal ${(100 / NODES).toFixed(2)} % → ${(movedRemove / (SCHOOLS / NODES)).toFixed(2)}x; max/mean after ${(Math.max(...lessCams) / lessMean).toFixed(3)}`,
  );
}

async function seed(kc: KubeConfig): Promise<void> {
  const fleet = generateFleet(shape);
  const objects = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  for (const ns of ['fleet', 'media', 'baseline']) await core.createNamespace({ body: { metadata: { name: ns } } });
  const t = performance.now();
  await pool(fleet.nodes, 8, (n) => objects.createClusterCustomObject({ group: GROUP, version: VERSION, plural: 'medianodes', body: n }));
  // One credentials Secret per school, as an installer would create them.
  for (const nvr of fleet.nvrs) nvr.spec.credentialsSecretRef = { name: `${nvr.spec.schoolRef}-nvr-credentials` };
  const secrets = [...new Set(fleet.nvrs.map((n) => n.spec.credentialsSecretRef.name))];
  await pool(secrets, 32, (name) =>
    core.createNamespacedSecret({ namespace: 'fleet', body: { metadata: { name }, stringData: { username: 'admin', password: randomBytes(9).toString('hex') } } }),
  );
  await pool(fleet.schools, 32, (s) => objects.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: 'fleet', plural: 'schools', body: s }));
  await pool(fleet.nvrs, 32, (n) => objects.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: 'fleet', plural: 'nvrs', body: n }));
  console.log(`seeded ${fleet.nodes.length} nodes, ${fleet.schools.length} schools, ${fleet.nvrs.length} NVRs, ${secrets.length} Secrets in ${seconds(performance.now() - t)}`);
}

/** A CPU profile of the API server itself (its /debug/pprof), read with `go tool pprof -top FILE`. */
async function apiserverProfile(kc: KubeConfig, seconds: number, file: string): Promise<void> {
  await writeFile(file, await apiserverDebug(kc, `/debug/pprof/profile?seconds=${seconds}`));
}

/**
 * A full collection of the API server's heap (a heap profile with `gc=1`), before each side's run. Without it, about
 * a CPU second of the API server's moved between the baseline and the cold start from run to run, and the ratio with
 * it: 0.94-1.43x in eight runs of one build.
 */
async function collectApiServerGarbage(kc: KubeConfig): Promise<void> {
  await apiserverDebug(kc, '/debug/pprof/heap?gc=1');
}

async function apiserverDebug(kc: KubeConfig, path: string): Promise<Buffer> {
  const options: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(options);
  const url = new URL(path, kc.getCurrentCluster()!.server);
  return new Promise<Buffer>((resolve, reject) => {
    https.get(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`${path}: HTTP ${res.statusCode}`))));
    }).on('error', reject);
  });
}

const METADATA = 'application/json;g=meta.k8s.io;v=v1;as=PartialObjectMetadata';

/**
 * Calls back with each ConfigMap's hash annotation as it changes. The watch asks for metadata only: the API server
 * then encodes no 600 kB config for this instrument, which the baseline's writes would not pay either.
 */
async function watchConfigHashes(kc: KubeConfig, namespace: string, onHash: (name: string, hash: string) => void): Promise<() => void> {
  const options: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(options);
  const server = kc.getCurrentCluster()!.server;
  const get = (path: string, accept: string) =>
    new Promise<IncomingMessage>((resolve, reject) => https.get(new URL(path, server), { ...options, headers: { ...options.headers, Accept: accept } }, resolve).on('error', reject));
  const collect = async (res: IncomingMessage) => {
    let text = '';
    for await (const chunk of res) text += String(chunk);
    return JSON.parse(text) as { metadata: { resourceVersion: string }; items: Array<{ metadata: { name: string; annotations?: Record<string, string> } }> | null };
  };
  const path = `/api/v1/namespaces/${namespace}/configmaps`;
  const list = await collect(await get(path, `${METADATA}List`));
  const seen = (meta: { name: string; annotations?: Record<string, string> }) => {
    const hash = meta.annotations?.[HASH_ANNOTATION];
    if (hash) onHash(meta.name, hash);
  };
  (list.items ?? []).forEach((item) => seen(item.metadata));
  const res = await get(`${path}?watch=1&resourceVersion=${list.metadata.resourceVersion}`, METADATA);
  let buffer = '';
  res.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let newline;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const event = JSON.parse(buffer.slice(0, newline)) as { type: string; object: { metadata: { name: string; annotations?: Record<string, string> } } };
      buffer = buffer.slice(newline + 1);
      if (event.type === 'ADDED' || event.type === 'MODIFIED') seen(event.object.metadata);
    }
  });
  return () => res.destroy();
}

let baselineListMs = NaN;

async function baseline(kc: KubeConfig, size: number): Promise<number> {
  const objects = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const t = performance.now();
  await objects.listClusterCustomObject({ group: GROUP, version: VERSION, plural: 'medianodes' });
  await objects.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: 'fleet', plural: 'schools' });
  await objects.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: 'fleet', plural: 'nvrs' });
  await core.listNamespacedSecret({ namespace: 'fleet' });
  baselineListMs = performance.now() - t;
  const payload = randomBytes(Math.ceil((size * 3) / 4)).toString('base64').slice(0, size);
  await pool(Array.from({ length: NODES }, (_, i) => i), 2, (i) =>
    core.createNamespacedConfigMap({ namespace: 'baseline', body: { metadata: { name: `baseline-${i}` }, data: { 'mediamtx.yml': payload } } }),
  );
  return performance.now() - t;
}

/** The mean size of the sealed configs the operator will write: the seeded credentials have fixed lengths. */
function expectedConfigSize(): number {
  const plan = planFleet(generateFleet(shape));
  const credentials = () => ({ username: 'admin', password: 'x'.repeat(18) });
  const sizes = [...plan.shards.values()].map((shard) => {
    const config = sealedShardConfig(shard, credentials, { render: DEFAULT_RENDER_OPTIONS, confKey: 'k'.repeat(32), maxConfigBytes: Infinity });
    return config.ok ? config.sealed.length : 0;
  });
  return Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length);
}

async function main(): Promise<void> {
  // The operator runs as it would in production: one bundled module, started by node.
  await promisify(execFile)(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../../operator/build.ts')]);
  const loadAtStart = load();
  pureFigures();
  const cp = await startControlPlane();
  let operator: Service | undefined;
  try {
    // Kept-alive connections as the operator's own clients use them, so the baseline writes as well as the operator can.
    const kc = keepAlive(cp.kubeConfig());
    await installCrds(kc);
    await seed(kc);
    const core = kc.makeApiClient(CoreV1Api);
    const objects = kc.makeApiClient(CustomObjectsApi);

    // The operator's ConfigMaps as they arrive, seen through a watch from this process.
    const hashes = new Map<string, string>();
    const waiters: Array<() => void> = [];
    const stopWatch = await watchConfigHashes(kc, 'media', (name, hash) => {
      hashes.set(name, hash);
      for (const w of waiters.splice(0)) w();
    });
    const changed = () => new Promise<void>((resolve) => waiters.push(resolve));

    // The baseline runs on a quiet API server, before the operator starts: once it runs, tens of thousands of status
    // writes follow its ConfigMaps and would slow the baseline down.
    const expectedSize = expectedConfigSize();
    const apiserverProf = option('apiserver-prof');
    await collectApiServerGarbage(kc);
    const baseProfile = apiserverProf ? apiserverProfile(kc, 6, `${apiserverProf}.baseline.pprof`) : undefined;
    const server = async () => [await cpuSeconds(cp.pids.apiserver), await cpuSeconds(cp.pids.etcd)] as const;
    const serverCpu = async (before: readonly [number, number]): Promise<Array<[string, number]>> => {
      const [apiserver, etcd] = await server();
      return [['API server', apiserver - before[0]], ['etcd', etcd - before[1]]];
    };
    const serverBefore = await server();
    const clientBefore = process.cpuUsage();
    const baseMs = await baseline(kc, expectedSize);
    const clientCpu = process.cpuUsage(clientBefore);
    const baseCpu: Array<[string, number]> = [...(await serverCpu(serverBefore)), ['its client', (clientCpu.user + clientCpu.system) / 1e6]];
    await baseProfile;

    const port = await freePort();
    let peakRss = 0;
    await collectApiServerGarbage(kc);
    const serverAtSpawn = await server();
    const started = performance.now();
    // BENCH_TIMELINE: the cores each side used, every 250 ms of the cold start.
    const timeline: string[] = [];
    let last = { t: 0, api: serverAtSpawn[0], etcd: serverAtSpawn[1], main: 0, other: 0 };
    const sampler = process.env.BENCH_TIMELINE
      ? setInterval(() => {
          void (async () => {
            if (!operator) return;
            const [api, etcd] = await server();
            const [main, other] = (await threadSeconds(operator.pid)).map(([, seconds]) => seconds) as [number, number];
            const t = performance.now() - started;
            const cores = (cpu: number, before: number) => ((cpu - before) / ((t - last.t) / 1000)).toFixed(2);
            timeline.push(`${seconds(t)}: API server ${cores(api, last.api)}, etcd ${cores(etcd, last.etcd)}, operator main thread ${cores(main, last.main)}, other threads ${cores(other, last.other)}`);
            last = { t, api, etcd, main, other };
          })();
        }, 250)
      : undefined;
    const operatorProfile = apiserverProf ? apiserverProfile(kc, 8, `${apiserverProf}.operator.pprof`) : undefined;
    // The heap the chart's memory limit gives the operator: in a container, Node.js caps the old generation at half
    // the limit. On a machine with more memory V8 would grow the heap far past what is live.
    const profile = option('cpu-prof');
    const nodeFlags = [`--max-old-space-size=${await chartHeapMiB()}`, ...(process.env.BENCH_OPERATOR_NODE_OPTIONS ?? '').split(' ').filter(Boolean), ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [])];
    operator = await spawnService('operator', process.execPath, [...nodeFlags, join(import.meta.dirname, '../../dist/operator.mjs')], {
      env: {
        ...process.env,
        KUBECONFIG: cp.kubeconfigPath,
        POSBON_FLEET_NAMESPACE: 'fleet',
        POSBON_MEDIA_NAMESPACE: 'media',
        POSBON_OPERATOR_PORT: String(port),
        POSBON_APPLY_WORKLOADS: 'false',
        LOG_LEVEL: option('log-level') ?? 'info',
      },
    });
    let peakHeap = 0;
    // The peak RSS is the kernel's high-water mark (VmHWM), read at the end: exact, and free for the operator. Its heap
    // is sampled once a second, since each /metrics scrape costs the operator CPU during the cold start.
    const heapTimer = setInterval(() => {
      void fetch(`http://127.0.0.1:${port}/metrics`)
        .then((r) => r.text())
        .then((t) => {
          const h = /^posbon_operator_nodejs_heap_size_used_bytes (\d+)/m.exec(t);
          if (h) peakHeap = Math.max(peakHeap, Number(h[1]));
        })
        .catch(() => undefined);
    }, 1000);
    while (hashes.size < NODES) await changed();
    const coldMs = performance.now() - started;
    clearInterval(sampler);
    if (sampler) console.log(`cores used during the cold start:\n${timeline.join('\n')}`);
    const convergedAt = Date.now();
    const coldCpu: Array<[string, number]> = [...(await serverCpu(serverAtSpawn)), ['the operator', await cpuSeconds(operator.pid)]];
    const operatorThreads = await threadSeconds(operator.pid);
    await operatorProfile;
    const logLines = async () => {
      const service = operator!;
      return (await service.logs()).split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { message: string; timestamp: string; ms?: number });
    };
    const lines = await logLines();
    const startedAt = Date.parse(lines.find((l) => l.message === 'operator starting')!.timestamp);
    const syncMs = lines.find((l) => l.message === 'caches synced')?.ms ?? NaN;
    const written = await core.listNamespacedConfigMap({ namespace: 'media' });
    const avgSize = Math.round(written.items.reduce((a, c) => a + (c.data?.['mediamtx.yml']?.length ?? 0), 0) / written.items.length);
    const ownMs = convergedAt - startedAt;
    console.log(`cold start to ${NODES} ConfigMaps: ${seconds(coldMs)} from spawning the process, ${seconds(ownMs)} from the operator's first line (lists ${seconds(syncMs)})`);
    console.log(`CPU seconds: the baseline ${cpuLine(baseCpu)}; the cold start ${cpuLine(coldCpu)} (its threads: ${cpuLine(operatorThreads)})`);
    if (avgSize !== expectedSize) console.log(`the operator's configs average ${avgSize} bytes, the baseline's ${expectedSize}`);
    console.log(`baseline list + write ${NODES} ConfigMaps of ${expectedSize} bytes, before the operator started: ${seconds(baseMs)} (lists ${seconds(baselineListMs)}) → ${(coldMs / baseMs).toFixed(2)}x from spawn, ${(ownMs / baseMs).toFixed(2)}x from the first line`);
    // Statuses trail the ConfigMaps in their own queue; wait for the last MediaNode to report its hash.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    // Read again: the watch can see the last ConfigMap before the operator has logged it.
    const later = await logLines();
    const applied = later.filter((l) => l.message === 'config applied').map((l) => Date.parse(l.timestamp) - startedAt);
    const planned = later.find((l) => l.message === 'fleet planned');
    console.log(`operator: first ConfigMap at ${seconds(applied[0] ?? NaN)}, the ${NODES}th at ${seconds(applied[NODES - 1] ?? NaN)} from its first line${planned?.ms !== undefined ? `; the first plan took ${planned.ms} ms` : ''}`);

    const nvrs = generateFleet(shape).nvrs;
    const plan = planFleet({ nodes: ((await objects.listClusterCustomObject({ group: GROUP, version: VERSION, plural: 'medianodes' })) as { items: MediaNode[] }).items, schools: generateFleet(shape).schools, nvrs });
    const latencies: number[] = [];
    for (let i = 0; i < EDITS; i++) {
      const nvr = nvrs[(i * 7919) % nvrs.length]!;
      const node = plan.assignments.get(nvr.spec.schoolRef)!.node!;
      const cm = configMapName(node);
      const before = hashes.get(cm);
      const t = performance.now();
      await objects.patchNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: 'fleet',
        plural: 'nvrs',
        name: nvr.metadata.name,
        body: [{ op: 'replace', path: '/spec/publicRtspPort', value: 20000 + i }],
      });
      while (hashes.get(cm) === before) await changed();
      latencies.push(performance.now() - t);
    }
    latencies.sort((a, b) => a - b);
    const p99 = pct(latencies, 99);
    console.log(`NVR edit → its shard's ConfigMap changed, ${EDITS} edits: p50 ${pct(latencies, 50).toFixed(0)} ms, p99 ${p99.toFixed(0)} ms, max ${latencies.at(-1)!.toFixed(0)} ms`);
    const exposition = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const metric = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(exposition)?.[1] ?? NaN);
    const inside = metric('posbon_operator_edit_to_apply_seconds_sum') / metric('posbon_operator_edit_to_apply_seconds_count');
    console.log(`inside the operator (informer event → ConfigMap applied, posbon_operator_edit_to_apply_seconds): mean ${(1000 * inside).toFixed(0)} ms`);
    clearInterval(heapTimer);
    const hwm = /^VmHWM:\s+(\d+) kB/m.exec(await readFile(`/proc/${operator.pid}/status`, 'utf8'));
    peakRss = hwm ? Number(hwm[1]) * 1024 : NaN;
    console.log(`operator peak RSS: ${(peakRss / 2 ** 20).toFixed(0)} MiB (peak heap used ${(peakHeap / 2 ** 20).toFixed(0)} MiB)`);
    stopWatch();
    const ratio = coldMs / baseMs;
    const rssMiB = peakRss / 2 ** 20;
    const row = (figure: string, value: string, target: string, met: boolean) => `| ${figure.padEnd(34)} | ${value.padEnd(30)} | ${target.padEnd(9)} | ${met ? 'yes' : 'NO '} |`;
    console.log(`\n${SCHOOLS} schools, ${SCHOOLS * shape.nvrsPerSchool} NVRs, ${NODES} nodes; load average (1, 5, 15 min) at the start ${loadAtStart}, at the end ${load()}`);
    console.log(`| ${'figure'.padEnd(34)} | ${'this run'.padEnd(30)} | ${'target'.padEnd(9)} | met |`);
    console.log(`|${'-'.repeat(36)}|${'-'.repeat(32)}|${'-'.repeat(11)}|-----|`);
    console.log(row('cold start / list-and-write base', `${ratio.toFixed(2)}x (${seconds(coldMs)} / ${seconds(baseMs)})`, '≤ 1.3x', ratio <= 1.3));
    console.log(row(`NVR edit p99 (${EDITS} edits)`, `${p99.toFixed(0)} ms (p50 ${pct(latencies, 50).toFixed(0)} ms)`, '< 500 ms', p99 < 500));
    console.log(row('operator peak RSS', `${rssMiB.toFixed(0)} MiB`, '< 512 MiB', rssMiB < 512));
  } finally {
    await operator?.stop();
    await cp.stop();
  }
}

await main();
process.exit(0);
