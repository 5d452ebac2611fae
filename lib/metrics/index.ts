// Prometheus metrics of the HTTP processes: the standard process metrics, a request duration histogram by route
// template, and a listener of its own, so /metrics is never on a public port.
import cluster from 'node:cluster';
import { createServer, type Server } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import {
  AggregatorRegistry,
  Counter,
  Histogram,
  Registry,
  collectDefaultMetrics,
  type RegistryContentType,
} from 'prom-client';

/** A registry with the process metrics under their standard names (process_cpu_seconds_total, nodejs_heap_…). */
export function processRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

const ROUTE = Symbol('posbon.route');

/** Names the route template a request matched (`/schools/:schoolId`), for the histogram's `route` label. */
export function markRoute(res: Response, template: string): void {
  (res.locals as Record<symbol, string>)[ROUTE] = template;
}

/** Records one answered request: its method, route template, status code and seconds from arrival to last byte. */
export type RecordRequest = (method: string, route: string, code: number, seconds: number) => void;

/**
 * The request duration histogram and request counter by method, route template and status code. The template,
 * never the path: a path holds ids and tokens, and would make a series per device. A request no route matched is
 * `unmatched`. Each label set's series is looked up once, not hashed from its labels on every request.
 */
export function requestRecorder(registry: Registry, prefix: string): RecordRequest {
  // `code` as Prometheus' own HTTP instrumentation names the status label, which the chart's alert rules read.
  const histogram = new Histogram({
    name: `${prefix}_http_request_duration_seconds`,
    help: 'Time from the arrival of a request to the end of its response, by method, route template and status code.',
    labelNames: ['method', 'route', 'code'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const requests = new Counter({
    name: `${prefix}_http_requests_total`,
    help: 'Requests answered, by method, route template and status code.',
    labelNames: ['method', 'route', 'code'],
    registers: [registry],
  });
  const series = new Map<string, { observe(seconds: number): void; inc(): void }>();
  return (method, route, code, seconds) => {
    const key = `${method} ${code} ${route}`;
    let one = series.get(key);
    if (!one) {
      const labels = { method, route, code: String(code) };
      const h = histogram.labels(labels);
      const c = requests.labels(labels);
      one = { observe: (s) => h.observe(s), inc: () => c.inc() };
      // Methods and codes are few and routes are templates; a flood of odd methods is bounded all the same.
      if (series.size < 1000) series.set(key, one);
    }
    one.observe(seconds);
    one.inc();
  };
}

/** The Express form of requestRecorder: times every request of the app it is used in. */
export function requestDuration(registry: Registry, prefix: string) {
  const record = requestRecorder(registry, prefix);
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const marked = (res.locals as Record<symbol, string | undefined>)[ROUTE];
      const route =
        marked ?? (req.route ? `${req.baseUrl}${String((req.route as { path: string }).path)}` : 'unmatched');
      record(req.method, route, res.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
}

/** What the metrics listener serves: one registry, or the sum over a cluster's workers (from the primary). */
export type MetricsSource = { registry: Registry } | { cluster: AggregatorRegistry<RegistryContentType> };

/** In a cluster worker: answer the primary's requests for this worker's metrics, to be summed with the others'. */
export function shareWithPrimary(registry: Registry): void {
  if (!cluster.isWorker) return;
  AggregatorRegistry.setRegistries([registry]);
  // Constructing one installs the worker's listener for the primary's requests.
  new AggregatorRegistry();
}

export interface MetricsServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

/** Serves GET /metrics on its own address; everything else is 404. */
export async function serveMetrics(source: MetricsSource, host: string, port: number): Promise<MetricsServer> {
  const collect = async (): Promise<{ text: string; type: string }> =>
    'registry' in source
      ? { text: await source.registry.metrics(), type: source.registry.contentType }
      : { text: await source.cluster.clusterMetrics(), type: source.cluster.contentType };
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    collect().then(
      ({ text, type }) => res.writeHead(200, { 'content-type': type }).end(text),
      (error: Error) =>
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics unavailable: ${error.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return {
    server,
    port: typeof address === 'object' && address ? address.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
