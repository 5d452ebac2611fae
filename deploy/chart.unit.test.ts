// The chart's generated CRDs and RBAC match their sources: run `npm run chart` after changing them.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CHART_DIR, chartFiles } from './chart.js';

it('holds the CRDs and RBAC as generated from crds/, operator/rbac.ts and api/admin/rbac.ts', async () => {
  for (const [path, content] of Object.entries(chartFiles())) {
    expect([path, await readFile(join(CHART_DIR, path), 'utf8').catch(() => 'missing')]).toEqual([path, content]);
  }
});
