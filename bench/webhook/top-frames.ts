// The top frames of a V8 .cpuprofile by self time, then self and inclusive time by module (a package, a source
// file, a Node.js internal), as shares of the busy samples: `tsx bench/webhook/top-frames.ts FILE [N] [LAST_SECONDS]`.
// LAST_SECONDS keeps only the end of the profile, so the start-up (compiling the sources) does not count.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

const [file, count = '10', lastSeconds] = process.argv.slice(2);
if (!file) throw new Error('usage: top-frames.ts FILE.cpuprofile [N] [LAST_SECONDS]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples?: number[]; timeDeltas?: number[] };

// The hit counts of the kept window, from the sample list when there is one.
const hitCounts = new Map<number, number>();
if (lastSeconds !== undefined && profile.samples && profile.timeDeltas) {
  const times: number[] = [];
  let t = 0;
  for (const delta of profile.timeDeltas) times.push((t += delta));
  const from = t - Number(lastSeconds) * 1e6;
  profile.samples.forEach((id, i) => {
    if (times[i]! >= from) hitCounts.set(id, (hitCounts.get(id) ?? 0) + 1);
  });
} else for (const node of profile.nodes) hitCounts.set(node.id, node.hitCount ?? 0);

const where = (url: string): string =>
  url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*?\/(api|lib|bench|test)\//, '$1/');

/** A frame's module: the npm package, the project file, the Node.js internal area, or what V8 itself does. */
function moduleOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return url.split('/').slice(0, 3).join('/');
  return where(url);
}

const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

const self = new Map<string, number>();
const moduleSelf = new Map<string, number>();
const moduleInclusive = new Map<string, number>();
let busy = 0;
const add = (map: Map<string, number>, key: string, hits: number) => map.set(key, (map.get(key) ?? 0) + hits);
for (const node of profile.nodes) {
  const hits = hitCounts.get(node.id) ?? 0;
  const { functionName, url, lineNumber } = node.callFrame;
  // Waiting is not work: shares are of the samples where the process was running something.
  if (hits === 0 || functionName === '(idle)') continue;
  busy += hits;
  add(self, `${functionName || '(anonymous)'} ${where(url)}:${lineNumber + 1}`, hits);
  add(moduleSelf, moduleOf(url, functionName), hits);
  const onStack = new Set<string>();
  for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(root)') continue;
    onStack.add(moduleOf(frame.url, frame.functionName));
  }
  for (const module of onStack) add(moduleInclusive, module, hits);
}

const pct = (hits: number) => `${((100 * hits) / busy).toFixed(1).padStart(5)}%`;
const top = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]).slice(0, Number(count));
console.log(`${busy} busy samples; shares of those`);
console.log('self time by frame:');
for (const [key, hits] of top(self)) console.log(`${pct(hits)}  ${key}`);
console.log('by module:       self  inclusive');
for (const [module, hits] of top(moduleInclusive)) console.log(`  ${pct(moduleSelf.get(module) ?? 0)}  ${pct(hits)}  ${module}`);
