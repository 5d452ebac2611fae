// `npm run tools [name…]`: builds the pinned test servers; `--if-missing` stays quiet when all are cached.
import { ALL_TOOLS, CLUSTER_TOOLS, ensureTool, isBuilt, toolPath } from './tools.js';

// Named tools may also be the on-demand ones; with no names, what CI needs.
const KNOWN = [...ALL_TOOLS, ...CLUSTER_TOOLS];

const args = process.argv.slice(2);
const ifMissing = args.includes('--if-missing');
const names = args.filter((a) => !a.startsWith('--'));
// A name picks every pinned version of a tool; `name-version` picks one.
const named = (t: (typeof KNOWN)[number], n: string): boolean => t.name === n || `${t.name}-${t.version}` === n;
const unknown = names.filter((n) => !KNOWN.some((t) => named(t, n)));
if (unknown.length > 0) {
  console.error(`unknown tool ${unknown.join(', ')}; known: ${KNOWN.map((t) => t.name).join(', ')}`);
  process.exit(2);
}
const wanted = names.length === 0 ? ALL_TOOLS : KNOWN.filter((t) => names.some((n) => named(t, n)));
const missing = wanted.filter((t) => !isBuilt(t));
if (!ifMissing) for (const t of wanted.filter(isBuilt)) console.log(`[${t.name}] cached ${toolPath(t)}`);
try {
  // Independent builds overlap: downloads and links of one run while another compiles.
  const failures = (await Promise.allSettled(missing.map((tool) => ensureTool(tool, (line) => console.log(line))))).filter(
    (r): r is PromiseRejectedResult => r.status === 'rejected',
  );
  if (failures.length > 0) throw new Error(failures.map((f) => (f.reason instanceof Error ? f.reason.message : String(f.reason))).join('\n'));
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
