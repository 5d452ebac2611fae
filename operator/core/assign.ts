// Which media node serves each school: weighted rendezvous hashing with a bounded-load rule, pins first.
import type { MediaNode, School } from '../../crds/index.js';

export type AssignmentReason =
  /** `spec.mediaNodeRef` names an existing node. */
  | 'Pinned'
  /** Highest-ranked node of the school's region with room. */
  | 'Assigned'
  /** No active node in the school's region: served from another region. */
  | 'RegionFallback'
  /** The pinned node does not exist: assigned as if unpinned. */
  | 'PinnedNodeMissing'
  /** Every node would exceed its maxCameras: placed on its top-ranked node anyway and reported. */
  | 'OverCapacity'
  /** No active node anywhere. */
  | 'NoMediaNode';

export interface Assignment {
  node: string | undefined;
  reason: AssignmentReason;
}

export interface AssignInput {
  nodes: MediaNode[];
  schools: School[];
  /** Cameras each school publishes, by school name. */
  cameras: ReadonlyMap<string, number>;
}

export interface AssignOptions {
  /** How far above its weighted share of cameras a node may go (1.25 = 25 %). */
  loadFactor: number;
}

export const DEFAULT_ASSIGN_OPTIONS: AssignOptions = { loadFactor: 1.15 };

/** cyrb53's state after some text: two 32-bit lanes, so a shared prefix is hashed once. */
function absorb(h1: number, h2: number, text: string): [number, number] {
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  return [h1, h2];
}

function finish(h1: number, h2: number): number {
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** cyrb53: a fast, well-mixed 53-bit string hash; stable across processes and versions. */
export function hash53(text: string): number {
  return finish(...absorb(0xdeadbeef, 0x41c6ce57, text));
}

const score = (hash: number, weight: number): number => -weight / Math.log((hash + 0.5) / 2 ** 53);

/** Weighted rendezvous score: the node with the highest score wins, in proportion to its weight. */
export function rendezvousScore(school: string, node: string, weight: number): number {
  return score(hash53(`${school}\u0000${node}`), weight);
}

interface Candidate {
  name: string;
  weight: number;
  maxCameras: number;
}

const candidate = (n: MediaNode): Candidate => ({ name: n.metadata.name, weight: n.spec.capacityWeight, maxCameras: n.spec.maxCameras });

/** Rankings depend only on the school and the pool, so they are kept while the pool stays the same. */
const rankings = new Map<string, Map<string, Candidate[]>>();

function rankingCache(pool: Candidate[]): Map<string, Candidate[]> {
  const key = pool.map((n) => `${n.name}:${n.weight}:${n.maxCameras}`).join(',');
  let cache = rankings.get(key);
  if (!cache) {
    if (rankings.size >= 8) rankings.delete(rankings.keys().next().value!);
    cache = new Map();
    rankings.set(key, cache);
  }
  return cache;
}

function ranked(school: string, pool: Candidate[], cache: Map<string, Candidate[]>): Candidate[] {
  const hit = cache.get(school);
  if (hit) return hit;
  // rendezvousScore for each node, with the school's part of the hash computed once.
  const [h1, h2] = absorb(0xdeadbeef, 0x41c6ce57, `${school}\u0000`);
  const scores = new Float64Array(pool.length);
  for (let i = 0; i < pool.length; i++) scores[i] = score(finish(...absorb(h1, h2, pool[i]!.name)), pool[i]!.weight);
  const order = Array.from(pool.keys())
    .sort((a, b) => scores[b]! - scores[a]! || (pool[a]!.name < pool[b]!.name ? -1 : 1))
    .map((i) => pool[i]!);
  cache.set(school, order);
  return order;
}

/** The active nodes of each region, the pools schools are ranked in. */
function regionPools(nodes: MediaNode[]): Map<string, Candidate[]> {
  const pools = new Map<string, Candidate[]>();
  for (const node of nodes) {
    if (node.spec.cordoned) continue;
    const pool = pools.get(node.spec.region);
    if (pool) pool.push(candidate(node));
    else pools.set(node.spec.region, [candidate(node)]);
  }
  return pools;
}

/**
 * Ranks schools in their region's pool ahead of a plan, into the cache `assignShards` reads: a shell calls it while
 * the larger lists (NVRs, Secrets) are still arriving, so that the first plan finds its rankings done.
 */
export function prepareRankings(nodes: MediaNode[], schools: School[]): void {
  const pools = new Map([...regionPools(nodes)].map(([region, pool]) => [region, { pool, cache: rankingCache(pool) }]));
  for (const school of schools) {
    const region = pools.get(school.spec.region);
    if (region) ranked(school.metadata.name, region.pool, region.cache);
  }
}

export function assignShards(input: AssignInput, options: AssignOptions = DEFAULT_ASSIGN_OPTIONS): Map<string, Assignment> {
  const byName = new Map(input.nodes.map((n) => [n.metadata.name, n]));
  const active = input.nodes.filter((n) => !n.spec.cordoned).map(candidate);
  const load = new Map<string, number>(input.nodes.map((n) => [n.metadata.name, 0]));
  const cams = (school: string) => input.cameras.get(school) ?? 0;
  const result = new Map<string, Assignment>();
  const schools = [...input.schools].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));

  const place = (school: string, node: string, reason: AssignmentReason) => {
    result.set(school, { node, reason });
    load.set(node, (load.get(node) ?? 0) + cams(school));
  };

  const unpinned: Array<{ school: School; missingPin: boolean }> = [];
  for (const school of schools) {
    const pin = school.spec.mediaNodeRef;
    if (pin !== undefined && byName.has(pin)) place(school.metadata.name, pin, 'Pinned');
    else unpinned.push({ school, missingPin: pin !== undefined });
  }

  // Each region's share is computed over the cameras of that region, pinned ones included.
  const regionCameras = new Map<string, number>();
  for (const school of schools) regionCameras.set(school.spec.region, (regionCameras.get(school.spec.region) ?? 0) + cams(school.metadata.name));
  const regionNodes = regionPools(input.nodes);
  const pools = new Map(
    [...regionNodes].map(([region, pool]) => {
      const weights = pool.reduce((sum, n) => sum + n.weight, 0);
      const total = regionCameras.get(region) ?? 0;
      const bounds = new Map(pool.map((n) => [n.name, Math.min(n.maxCameras, Math.max(1, Math.ceil((total * n.weight * options.loadFactor) / weights)))]));
      return [region, { pool, bounds, cache: rankingCache(pool) }] as const;
    }),
  );

  const fallback: Array<{ school: School; missingPin: boolean }> = [];
  for (const entry of unpinned) {
    const region = pools.get(entry.school.spec.region);
    if (!region) {
      fallback.push(entry);
      continue;
    }
    const name = entry.school.metadata.name;
    const order = ranked(name, region.pool, region.cache);
    const fit = order.find((n) => (load.get(n.name) ?? 0) + cams(name) <= region.bounds.get(n.name)!);
    const fitHard = fit ?? order.find((n) => (load.get(n.name) ?? 0) + cams(name) <= n.maxCameras);
    const reason: AssignmentReason = entry.missingPin ? 'PinnedNodeMissing' : fitHard ? 'Assigned' : 'OverCapacity';
    place(name, (fitHard ?? order[0]!).name, reason);
  }

  const activeCache = rankingCache(active);
  for (const entry of fallback) {
    const name = entry.school.metadata.name;
    if (active.length === 0) {
      result.set(name, { node: undefined, reason: 'NoMediaNode' });
      continue;
    }
    const order = ranked(name, active, activeCache);
    const fit = order.find((n) => (load.get(n.name) ?? 0) + cams(name) <= n.maxCameras);
    place(name, (fit ?? order[0]!).name, fit ? 'RegionFallback' : 'OverCapacity');
  }
  return result;
}
