// The top frames of a step's profiles as BENCH_PROFILE_DIR holds them: `tsx bench/api/profile-top.ts FILE [N]`.
// A .cpuprofile ranks by self time, a .heapprofile (sampled allocations) by bytes allocated; both also by package.
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface CpuNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
}

interface HeapNode {
  callFrame: CallFrame;
  selfSize: number;
  children: HeapNode[];
}

const [file, count = '15'] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-top.ts FILE.cpuprofile|FILE.heapprofile [N]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: CpuNode[] } | { head: HeapNode };

const where = ({ url }: CallFrame) => url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*?\/(api|lib|bench|operator)\//, '$1/');
const packageOf = (frame: CallFrame) => {
  const nodeModule = /\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(frame.url);
  if (nodeModule) return nodeModule[1]!;
  if (frame.url.startsWith('node:')) return 'node';
  if (!frame.url) return frame.functionName || '(native)';
  return where(frame).split('/').slice(0, 2).join('/');
};

const byFrame = new Map<string, number>();
const byPackage = new Map<string, number>();
let total = 0;
const add = (frame: CallFrame, amount: number) => {
  total += amount;
  const key = `${frame.functionName || '(anonymous)'} ${where(frame)}:${frame.lineNumber + 1}`;
  byFrame.set(key, (byFrame.get(key) ?? 0) + amount);
  byPackage.set(packageOf(frame), (byPackage.get(packageOf(frame)) ?? 0) + amount);
};

if ('nodes' in profile) {
  for (const node of profile.nodes) add(node.callFrame, node.hitCount ?? 0);
} else {
  const visit = (node: HeapNode) => {
    add(node.callFrame, node.selfSize);
    node.children.forEach(visit);
  };
  visit(profile.head);
}

const print = (title: string, entries: Map<string, number>) => {
  console.log(title);
  for (const [key, amount] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, Number(count))) {
    console.log(`${((100 * amount) / total).toFixed(1).padStart(5)}%  ${key}`);
  }
};
print('nodes' in profile ? 'self time by frame' : 'bytes allocated by frame', byFrame);
print('by package', byPackage);
