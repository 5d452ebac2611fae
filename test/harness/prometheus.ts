// Reads the Prometheus text exposition format strictly enough for tests: every family with its HELP and TYPE, and
// every sample with its labels. A line it cannot read fails the test instead of being skipped.

export interface MetricFamily {
  help: string | undefined;
  type: string | undefined;
  samples: Array<{ name: string; labels: Record<string, string>; value: number }>;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy;
const SUFFIXES = ['_bucket', '_sum', '_count', '_total', '_created'];

function labelsOf(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  let read = 0;
  for (let m = LABEL.exec(text); m; m = LABEL.exec(text)) {
    labels[m[1]!] = m[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    read = LABEL.lastIndex;
  }
  if (read !== text.length) throw new Error(`unreadable labels in: ${line}`);
  return labels;
}

export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { help: undefined, type: undefined, samples: [] }));
    return f;
  };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      const f = family(meta[2]!);
      if (meta[1] === 'HELP') f.help = meta[3];
      else f.type = meta[3];
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`unreadable sample: ${line}`);
    const name = m[1]!;
    const owner = families.has(name) ? name : (SUFFIXES.map((s) => (name.endsWith(s) ? name.slice(0, -s.length) : '')).find((n) => n && families.has(n)) ?? name);
    // Prometheus reads values with Go's ParseFloat, which takes NaN and Inf in any letter case (prom-client writes "Nan").
    const text = m[3]!.toLowerCase();
    const value = text === '+inf' || text === 'inf' ? Infinity : text === '-inf' ? -Infinity : text === 'nan' ? NaN : Number(m[3]);
    if (Number.isNaN(value) && text !== 'nan') throw new Error(`unreadable value: ${line}`);
    family(owner).samples.push({ name, labels: labelsOf(m[2] ?? '', line), value });
  }
  return families;
}

/** The value of one sample, by family, sample name and exact labels. */
export function sampleValue(families: Map<string, MetricFamily>, family: string, labels: Record<string, string>, name = family): number | undefined {
  const want = JSON.stringify(Object.entries(labels).sort());
  return families.get(family)?.samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want)?.value;
}
