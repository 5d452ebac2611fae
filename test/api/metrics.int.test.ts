// The API's /metrics: on its own port, in the Prometheus text format, read back as Prometheus would read it.
import { parsePrometheusText, sampleValue } from '../harness/prometheus.js';
import { call, createAccount, login, startTestApi, type TestApi } from './fixture.js';

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
});

afterAll(async () => {
  await api?.close();
});

const scrape = async () => {
  const res = await fetch(`${api.server.metricsUrl}/metrics`);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await res.text());
};

describe('the API metrics', () => {
  it('are not served on the API port', async () => {
    expect(api.server.metricsUrl).not.toBe(api.url);
    expect((await call(api, 'GET', '/metrics')).status).toBe(404);
  });

  it('time each request by route template and status, never by the path it was called with', async () => {
    const viewer = await createAccount(api, 'metrics-viewer', 'VIEWER', ['school-a']);
    const { accessToken } = await login(api, viewer);
    expect((await call(api, 'GET', '/schools/school-a', { token: accessToken })).status).toBe(200);
    expect((await call(api, 'GET', '/schools/school-b', { token: accessToken })).status).toBe(403);
    expect((await call(api, 'GET', '/schools/school-a')).status).toBe(401);
    expect((await call(api, 'GET', '/openapi.json')).status).toBe(200);
    expect((await call(api, 'GET', '/no/such/route')).status).toBe(404);
    const families = await scrape();
    const count = (method: string, route: string, status: string) =>
      sampleValue(families, 'posbon_api_http_request_duration_seconds', { method, route, code: status }, 'posbon_api_http_request_duration_seconds_count');
    expect([
      count('GET', '/schools/:schoolId', '200'),
      count('GET', '/schools/:schoolId', '403'),
      count('GET', '/schools/:schoolId', '401'),
      count('GET', '/openapi.json', '200'),
      count('GET', 'unmatched', '404'),
      count('POST', '/auth/login', '200'),
    ]).toEqual([1, 1, 1, 1, 2, 1]); // two unmatched: this one and GET /metrics above
    const routes = new Set(families.get('posbon_api_http_request_duration_seconds')!.samples.map((s) => s.labels.route));
    expect([...routes].filter((r) => /school-a|school-b|such/.test(r!))).toEqual([]);
    expect(families.get('posbon_api_http_request_duration_seconds')!.type).toBe('histogram');
    expect(sampleValue(families, 'posbon_api_http_requests_total', { method: 'GET', route: '/schools/:schoolId', code: '403' })).toBe(1);
  });

  it('carry a HELP and a TYPE line for every family, and the process metrics under their standard names', async () => {
    const families = await scrape();
    expect([...families].filter(([, f]) => !f.help || !f.type).map(([name]) => name)).toEqual([]);
    const standard = ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds', 'process_open_fds', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds'];
    expect(standard.filter((name) => !families.has(name))).toEqual([]);
    expect(sampleValue(families, 'process_resident_memory_bytes', {})).toBeGreaterThan(0);
  });
});
