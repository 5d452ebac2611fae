// Builds the console into dist/console and prints its first-load size; `ensureConsole` builds only when the sources
// changed since the last build, so `npm start` and the tests pay for it once.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CONSOLE_DIST } from './static.js';

const HERE = import.meta.dirname;
const ROOT = join(HERE, '..', '..');
/** The first load (index.html, its script, its styles) must stay under this, gzipped. */
export const FIRST_LOAD_BUDGET = 150 * 1024;
const STAMP = '.source-hash';

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await files(path)));
    else out.push(path);
  }
  return out.sort();
}

/** What the bundle is made of: the UI, its build config, the role table it shares with the API, the lock file. */
async function sourceHash(): Promise<string> {
  const hash = createHash('sha256');
  const inputs = [...(await files(join(HERE, 'ui'))), join(HERE, 'vite.config.ts'), join(ROOT, 'api/admin/access.ts'), join(ROOT, 'package-lock.json')];
  for (const file of inputs) hash.update(relative(ROOT, file)).update('\0').update(await readFile(file)).update('\0');
  return hash.digest('hex');
}

export interface FirstLoad {
  files: { file: string; bytes: number; gzipped: number }[];
  gzipped: number;
}

/** index.html plus every script, stylesheet and module preload it names: what a browser fetches before it can paint. */
export async function firstLoad(dir: string = CONSOLE_DIST): Promise<FirstLoad> {
  const html = await readFile(join(dir, 'index.html'));
  const named = [...html.toString().matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map((m) => m[1]!);
  const out: FirstLoad['files'] = [];
  for (const file of ['index.html', ...new Set(named)]) {
    const body = file === 'index.html' ? html : await readFile(join(dir, file));
    out.push({ file, bytes: body.length, gzipped: gzipSync(body, { level: 9 }).length });
  }
  return { files: out, gzipped: out.reduce((sum, f) => sum + f.gzipped, 0) };
}

export async function buildConsole(log: (line: string) => void = console.log): Promise<FirstLoad> {
  const { build } = await import('vite');
  const hash = await sourceHash();
  await build({ configFile: join(HERE, 'vite.config.ts') });
  await writeFile(join(CONSOLE_DIST, STAMP), hash);
  const load = await firstLoad();
  for (const f of load.files) log(`  ${f.file.padEnd(40)} ${(f.bytes / 1024).toFixed(1).padStart(7)} kB  ${(f.gzipped / 1024).toFixed(1).padStart(6)} kB gzipped`);
  log(`console first load ${(load.gzipped / 1024).toFixed(1)} kB gzipped (budget ${FIRST_LOAD_BUDGET / 1024} kB) → ${CONSOLE_DIST}`);
  if (load.gzipped > FIRST_LOAD_BUDGET) throw new Error(`the console's first load is ${load.gzipped} bytes gzipped, over the ${FIRST_LOAD_BUDGET}-byte budget`);
  return load;
}

/** Builds when dist/console is missing or older than its sources; cheap (a hash of ~30 files) otherwise. */
export async function ensureConsole(log: (line: string) => void = console.log): Promise<void> {
  const stamp = join(CONSOLE_DIST, STAMP);
  if (existsSync(stamp) && (await readFile(stamp, 'utf8')) === (await sourceHash())) return;
  log('building the console (npm run build:console)…');
  await buildConsole(log);
}

if (process.argv[1] === import.meta.filename) {
  buildConsole().catch((error: unknown) => {
    process.stderr.write(`build:console: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
