// Pinned servers built from Go modules (through the Go module proxy) into a cache outside the repo, one build at a
// time across processes; `npm start` builds MediaMTX this way, the tests build their servers the same way.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const run = promisify(execFile);

export interface Tool {
  name: string;
  version: string;
  /** The executable's file name inside the tool's cache folder. */
  binary: string;
  build(ctx: BuildContext): Promise<void>;
}

export interface BuildContext {
  /** A scratch folder, removed after the build. */
  work: string;
  /** The final path of the binary. */
  output: string;
  log(line: string): void;
}

export const toolsCacheDir = (): string =>
  process.env.POSBON_TOOLS_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'posbon', 'tools');

export const toolPath = (tool: Tool): string => join(toolsCacheDir(), `${tool.name}-${tool.version}`, tool.binary);

export const isBuilt = (tool: Tool): boolean => existsSync(toolPath(tool));

export const goEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  CGO_ENABLED: '0',
  GOFLAGS: '-mod=mod -buildvcs=false',
  // The go directives of the pinned modules fit the installed toolchain; never fetch another.
  GOTOOLCHAIN: 'local',
});

export async function go(cwd: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run('go', args, { cwd, env: goEnv(), maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error('Go is not installed: the test tools are built from Go modules (https://go.dev/dl)');
    throw new Error(`go ${args.join(' ')} failed:\n${(e.stderr ?? String(e)).slice(-4000)}`);
  }
}

export async function moduleDir(cwd: string, module: string, version: string): Promise<string> {
  const out = await go(cwd, ['mod', 'download', '-json', `${module}@${version}`]);
  const info = JSON.parse(out) as { Dir?: string; Error?: string };
  if (!info.Dir) throw new Error(`cannot download ${module}@${version}: ${info.Error ?? 'no folder'}`);
  return info.Dir;
}

/** One build of a tool at a time across processes (parallel test runs, several checkouts). */
async function lockBuild(folder: string, tool: Tool, log: (line: string) => void): Promise<() => Promise<void>> {
  const lock = join(folder, '.building');
  let announced = false;
  for (;;) {
    try {
      await mkdir(lock);
      await writeFile(join(lock, 'pid'), String(process.pid));
      return () => rm(lock, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(await readFile(join(lock, 'pid'), 'utf8').catch(() => '0'));
      if (owner > 0 && !processAlive(owner)) {
        await rm(lock, { recursive: true, force: true });
        continue;
      }
      if (!announced) log(`[${tool.name}] waiting for another process building it`);
      announced = true;
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function ensureTool(tool: Tool, log: (line: string) => void): Promise<string> {
  const output = toolPath(tool);
  if (existsSync(output)) return output;
  const started = Date.now();
  const folder = join(toolsCacheDir(), `${tool.name}-${tool.version}`);
  await mkdir(folder, { recursive: true });
  const release = await lockBuild(folder, tool, log);
  if (existsSync(output)) {
    await release();
    return output;
  }
  const work = await mkdtemp(join(tmpdir(), `posbon-${tool.name}-`));
  const partial = `${output}.partial`;
  try {
    await tool.build({ work, output: partial, log: (line) => log(`[${tool.name}] ${line}`) });
    await chmod(partial, 0o755);
    // Renamed last, so an interrupted build never looks finished.
    await run('mv', [partial, output]);
  } finally {
    await rm(work, { recursive: true, force: true });
    await release();
  }
  log(`[${tool.name}] built ${tool.version} in ${((Date.now() - started) / 1000).toFixed(0)} s → ${output}`);
  return output;
}
