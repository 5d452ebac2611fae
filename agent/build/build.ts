// Builds the agent to run without the repository: one bundled script (esbuild, no node_modules), and from it a
// Node single-executable application for this platform (Node 20 SEA: a preparation blob injected into a copy of
// the running node binary with postject). Prints each artefact's size.
// Usage: npm run build:agent [-- --out DIR] [-- --no-sea]
import { execFile } from 'node:child_process';
import { copyFile, chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build, stop } from 'esbuild';

const run = promisify(execFile);
/** The fuse every Node SEA binary carries; postject flips it when a blob is injected. */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

export interface AgentArtefacts {
  bundle: string;
  executable?: string;
  sizes: Record<string, number>;
}

export async function buildAgent(options: { out: string; sea: boolean }): Promise<AgentArtefacts> {
  const out = resolve(options.out);
  await mkdir(out, { recursive: true });
  const bundle = join(out, 'posbon-agent.cjs');
  // CommonJS: Node 20's single-executable applications run one CommonJS script.
  await build({
    entryPoints: [resolve(import.meta.dirname, '..', 'cli', 'bin.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: bundle,
    minify: true,
    legalComments: 'external',
    logLevel: 'warning',
  });
  // esbuild's service process would otherwise keep the caller alive.
  await stop();
  const sizes: Record<string, number> = { [bundle]: (await stat(bundle)).size };
  if (!options.sea) return { bundle, sizes };
  const blob = join(out, 'posbon-agent.blob');
  const config = join(out, 'sea-config.json');
  await writeFile(config, JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache: false }));
  await run(process.execPath, ['--experimental-sea-config', config]);
  const executable = join(out, process.platform === 'win32' ? 'posbon-agent.exe' : 'posbon-agent');
  await copyFile(process.execPath, executable);
  await chmod(executable, 0o755);
  await run(resolve(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'postject'), [executable, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE]);
  sizes[executable] = (await stat(executable)).size;
  return { bundle, executable, sizes };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const outAt = process.argv.indexOf('--out');
  const artefacts = await buildAgent({ out: outAt > 0 ? process.argv[outAt + 1]! : 'dist/agent', sea: !process.argv.includes('--no-sea') });
  for (const [file, size] of Object.entries(artefacts.sizes)) console.log(`${file}: ${(size / 1024 / 1024).toFixed(2)} MiB (${size} bytes)`);
}
