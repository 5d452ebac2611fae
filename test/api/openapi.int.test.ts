// /openapi.json as a client generator reads it: linted by Redocly's recommended rules, with every route in it.
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { startTestApi, type TestApi } from './fixture.js';

let api: TestApi;
let document: { paths: Record<string, Record<string, { security?: unknown[] }>>; servers?: unknown[] };
let source: string;

beforeAll(async () => {
  api = await startTestApi();
  source = await (await fetch(`${api.url}/openapi.json`)).text();
  document = JSON.parse(source) as typeof document;
});

afterAll(async () => {
  await api?.close();
});

describe('the OpenAPI document', () => {
  it('has no error and no warning under the recommended rules of a real OpenAPI linter', async () => {
    // The package is private and names no license; that is the project's decision, not the document's fault.
    const config = await createConfig({ extends: ['recommended'], rules: { 'info-license': 'off' } });
    const problems = await lintFromString({ source, absoluteRef: 'openapi.json', config });
    expect(problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? ''}`)).toEqual([]);
  });

  it('declares public operations public, and every other one authenticated', () => {
    const publicOps = Object.entries(document.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => Array.isArray(op.security) && op.security.length === 0)
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(publicOps.sort()).toEqual(['GET /.well-known/jwks.json', 'GET /healthz', 'POST /agent/pair', 'POST /agent/refresh', 'POST /auth/login', 'POST /auth/refresh']);
  });

  it('lists the attendance reads', () => {
    expect(Object.keys(document.paths).filter((p) => p.startsWith('/attendance/')).sort()).toEqual([
      '/attendance/schools/{schoolId}/days/{day}',
      '/attendance/schools/{schoolId}/pupils/{personId}',
    ]);
  });
});
