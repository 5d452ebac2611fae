// The chart's alert rules, checked and unit-tested by promtool built from the pinned Prometheus module.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { createOperatorMetrics } from '../../operator/controller/metrics.js';
import { tunnelAlertRule } from '../../operator/tunnel/health.js';
import { ensureTool, promtool } from '../tools/tools.js';

const run = promisify(execFile);
const RULES = join(process.cwd(), 'charts/posbon/files/prometheus-rules.yaml');
const TESTS = join(process.cwd(), 'test/alerts/prometheus-rules.test.yaml');

type Rule = { alert: string; expr: string } & Record<string, unknown>;
let bin: string;
let groups: Array<{ name: string; rules: Rule[] }>;

const promtoolRun = (args: string[]) =>
  run(bin, args).then(
    (r) => ({ code: 0, out: `${r.stdout}${r.stderr}` }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: `${e.stdout}${e.stderr}` }),
  );

beforeAll(async () => {
  bin = await ensureTool(promtool, console.log);
  groups = (parse(await readFile(RULES, 'utf8')) as { groups: typeof groups }).groups;
}, 3_600_000);

describe("the chart's Prometheus rules", () => {
  it('pass promtool check rules', async () => {
    const checked = await promtoolRun(['check', 'rules', RULES]);
    expect(checked).toEqual({ code: 0, out: expect.stringContaining(`SUCCESS: ${groups.flatMap((g) => g.rules).length} rules found`) as string });
  });

  it("pass promtool's unit tests, which fire every alert and keep the healthy series silent", async () => {
    const tested = await promtoolRun(['test', 'rules', TESTS]);
    expect(tested.out).toContain('SUCCESS');
    expect(tested.code).toBe(0);
    const testedAlerts = new Set([...(await readFile(TESTS, 'utf8')).matchAll(/alertname: (\w+)/g)].map((m) => m[1]));
    expect(groups.flatMap((g) => g.rules.map((r) => r.alert)).filter((a) => !testedAlerts.has(a))).toEqual([]);
  });

  it("carry the operator's tunnel rule as the operator renders it", () => {
    const rendered = (tunnelAlertRule('posbon-system').spec as { groups: typeof groups }).groups[0]!;
    expect(groups.find((g) => g.name === rendered.name)).toEqual(rendered);
  });

  it('read only operator metrics that the operator exports', async () => {
    const exported = await createOperatorMetrics().registry.metrics();
    const read = [...new Set(groups.flatMap((g) => g.rules.flatMap((r) => [...r.expr.matchAll(/posbon_operator_\w+/g)].map((m) => m[0]))))].sort();
    expect(read).toEqual(['posbon_operator_leader', 'posbon_operator_media_node_ready', 'posbon_operator_process_start_time_seconds', 'posbon_operator_shard_stalled']);
    for (const name of read) expect(exported).toContain(`# TYPE ${name} `);
  });
});
