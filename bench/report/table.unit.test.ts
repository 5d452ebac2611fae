import { renderMarkdown, type Report } from './table.js';

const report = (value: number, startedAt: string): Report => ({
  startedAt,
  commit: 'abc1234',
  cores: 2,
  cpuModel: 'test cpu',
  loadAverage: [1, 2, 3],
  benches: [
    {
      name: 'webhook-1',
      status: 'ok',
      seconds: 40,
      loadAverage: [1.5, 2, 3],
      result: {
        bench: 'webhook (1 worker)',
        settings: {},
        cores: 2,
        loadAverage: [1.5, 2, 3],
        figures: [
          {
            name: 'ingress',
            value,
            unit: 'events/s',
            limit: { name: 'transport ceiling', value: 4000 },
            ratio: value / 4000,
            target: '>= 60%',
            met: value >= 2400,
          },
        ],
      },
    },
    { name: 'data-restore', status: 'skipped', loadAverage: [1, 2, 3], reason: 'takes minutes' },
    { name: 'probe', status: 'ok', seconds: 9, loadAverage: [1, 2, 3], output: ['probe a | 3 ms'] },
  ],
  derived: [],
});

test('the report is one figure table with the previous run beside it, then one line per benchmark', () => {
  expect(renderMarkdown(report(2000, '2026-11-29T10:00:00Z'), report(3000, '2026-11-28T10:00:00Z'))).toBe(
    [
      '# Benchmark report',
      '',
      '2026-11-29T10:00:00Z, commit abc1234; 2 cores (test cpu); load average 1 2 3 at the end; previous run 2026-11-28T10:00:00Z, commit abc1234, load average 1 2 3',
      '',
      '| bench | figure | value | limit (same run) | share | target | | previous run | load average |',
      '|---|---|---|---|---|---|---|---|---|',
      '| webhook-1 | ingress | 2000 events/s | transport ceiling: 4000 | 50% | >= 60% | missed | 3000 (75%) | 1.5 2 3 |',
      '',
      '| bench | status | seconds | note |',
      '|---|---|---|---|',
      '| webhook-1 | ok | 40 |  |',
      '| data-restore | skipped |  | takes minutes |',
      '| probe | ok | 9 | probe a \\| 3 ms |',
      '',
    ].join('\n'),
  );
});
