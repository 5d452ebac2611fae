import { cutManagedFields } from './managed-fields.js';

/** A seeded generator (mulberry32), so that a failing case can be run again. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Strings that a byte scanner could mistake for structure: brackets, braces, quotes, escapes, the key itself.
const TRICKY = ['', ']', '}', '[{', '"', '\\', '\\"', '"]', '\\\\', ',"managedFields":[', '{"managedFields":[1]}', '"managedFields', 'é', '✓', '😀', '\u0000', '\n'];

function text(next: () => number): string {
  let s = '';
  for (let n = Math.floor(next() * 4); n > 0; n--) s += next() < 0.5 ? TRICKY[Math.floor(next() * TRICKY.length)] : String.fromCharCode(32 + Math.floor(next() * 95));
  return s;
}

function value(next: () => number, depth: number): unknown {
  const pick = next();
  if (depth > 3 || pick < 0.3) return text(next);
  if (pick < 0.4) return Math.floor(next() * 1000);
  if (pick < 0.45) return null;
  if (pick < 0.7) return Array.from({ length: Math.floor(next() * 3) }, () => value(next, depth + 1));
  return Object.fromEntries(Array.from({ length: Math.floor(next() * 4) }, () => [text(next), value(next, depth + 1)]));
}

/** An object as the API server sends one: metadata's keys in order, managedFields among them or not. */
function object(next: () => number): Record<string, unknown> {
  const metadata: Record<string, unknown> = {};
  if (next() < 0.5) metadata.annotations = { note: text(next), other: text(next) };
  if (next() < 0.5) metadata.generation = 1;
  if (next() < 0.8) {
    metadata.managedFields = Array.from({ length: Math.floor(next() * 3) }, () => ({
      fieldsV1: { [`f:${text(next)}`]: {}, [`k:{"id":"${text(next)}"}`]: value(next, 0) },
      manager: text(next),
    }));
  }
  if (next() < 0.8) metadata.name = text(next);
  return { kind: 'Nvr', metadata, spec: value(next, 0) };
}

/** What the cut must equal: the same objects without their metadata's managedFields. */
function parsedWithout(list: Record<string, unknown>[]): unknown {
  return list.map(({ metadata, ...rest }) => {
    const { managedFields: _, ...kept } = metadata as Record<string, unknown>;
    return { ...rest, metadata: kept };
  });
}

describe('cutManagedFields', () => {
  it('parses to the same objects without their managedFields, whatever their strings hold', () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const next = random(seed);
      const items = Array.from({ length: 1 + Math.floor(next() * 4) }, () => object(next));
      const body = Buffer.from(JSON.stringify({ kind: 'NvrList', items }));
      const cut = JSON.parse(cutManagedFields(body).toString('utf8')) as { items: unknown };
      expect({ seed, items: cut.items }).toEqual({ seed, items: parsedWithout(items) });
    }
  });

  it('cuts the comma before the key when nothing follows it, and leaves an empty object valid', () => {
    const cases: [string, string][] = [
      ['{"metadata":{"name":"a","managedFields":[{"manager":"x"}]}}', '{"metadata":{"name":"a"}}'],
      ['{"metadata":{"managedFields":[{"manager":"x"}]}}', '{"metadata":{}}'],
      ['{"metadata":{"managedFields":[],"name":"a"}}', '{"metadata":{"name":"a"}}'],
      ['{"items":[{"metadata":{"managedFields":[]}},{"metadata":{"managedFields":[{}],"uid":"u"}}]}', '{"items":[{"metadata":{}},{"metadata":{"uid":"u"}}]}'],
    ];
    expect(cases.map(([body]) => cutManagedFields(Buffer.from(body)).toString())).toEqual(cases.map(([, cut]) => cut));
  });

  it('gives back a body without the key, one in another form and one not well formed as they were', () => {
    const bodies = [
      '{"metadata":{"name":"a"}}',
      '{"metadata": {"managedFields": [{"manager":"x"}]}}',
      '{"note":"\\"managedFields\\":[1]","metadata":{}}',
      // A key that ends in the very bytes looked for.
      '{"x\\"managedFields":[1],"metadata":{}}',
      '{"metadata":{"managedFields":[{"manager":"x"}',
      '{"metadata":{"managedFields":[{"manager":"x\\',
    ].map((body) => Buffer.from(body));
    expect(bodies.map((body) => cutManagedFields(body))).toEqual(bodies);
    // The very buffer, not a copy: nothing to cut costs nothing.
    expect(bodies.map((body) => cutManagedFields(body) === body)).toEqual(bodies.map(() => true));
  });
});
