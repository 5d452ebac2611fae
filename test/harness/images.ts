// Posbon's images built here with podman from deploy/Dockerfile, without a registry: a Debian base made by
// mmdebstrap and `podman import`, the bundle staged on the host, and tags by content hash so a rebuild is free.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { IMAGES, stage, type ImageName } from '../../deploy/stage.js';
import { ensureConsole } from '../../api/console/build.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const DEBIAN = 'bookworm';

export const imagesCacheDir = (): string =>
  join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'posbon', 'images');

/** podman works here only with runc and explicit ulimits (no CAP_SYS_RESOURCE, hybrid cgroups). */
export async function podmanEnv(): Promise<NodeJS.ProcessEnv> {
  const conf = join(imagesCacheDir(), 'containers.conf');
  await mkdir(imagesCacheDir(), { recursive: true });
  await writeFile(
    conf,
    '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n[engine]\nruntime = "runc"\n',
  );
  return { ...process.env, CONTAINERS_CONF: conf };
}

export async function podman(args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout } = await run('podman', args, { env: env ?? (await podmanEnv()), maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error('podman is not installed (.ci/run installs it)');
    throw new Error(`podman ${args.slice(0, 3).join(' ')} failed:\n${(e.stderr ?? String(e)).slice(-3000)}`);
  }
}

/** Which of podman, mmdebstrap is missing here; the image tests skip only then. */
export function missingImageTools(): string[] {
  const dirs = (process.env.PATH ?? '').split(':');
  return ['podman', 'mmdebstrap'].filter((cmd) => !dirs.some((d) => existsSync(join(d, cmd))));
}

const exists = async (ref: string, env: NodeJS.ProcessEnv) =>
  run('podman', ['image', 'exists', ref], { env }).then(
    () => true,
    () => false,
  );

/** A minimal Debian root file system as an image; the rootfs tar is cached, the import is cheap. */
async function baseImage(env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<string> {
  const ref = `localhost/posbon-base:${DEBIAN}`;
  if (await exists(ref, env)) return ref;
  const tar = join(imagesCacheDir(), `debian-${DEBIAN}-minbase.tar`);
  if (!existsSync(tar)) {
    log(`mmdebstrap ${DEBIAN} minbase`);
    const mirror = process.env.POSBON_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';
    await run('mmdebstrap', ['--quiet', '--format=tar', '--variant=minbase', DEBIAN, `${tar}.partial`, mirror], { maxBuffer: 16 * 1024 * 1024 });
    await run('mv', [`${tar}.partial`, tar]);
  }
  await podman(['import', tar, ref], env);
  return ref;
}

async function hashTree(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (d: string): Promise<void> => {
    for (const entry of (await readdir(d, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) await walk(path);
      else hash.update(relative(dir, path)).update('\0').update(await readFile(path)).update('\0');
    }
  };
  await walk(dir);
  return hash.digest('hex').slice(0, 16);
}

export type BuiltImages = Record<ImageName, string> & { sizes: Record<ImageName, number> };

/**
 * Builds the four images from deploy/Dockerfile: the staged bundle (and this machine's Node.js) in a staging image,
 * then each target on the local base. Tagged by the hash of what went in.
 */
export async function buildImages(log: (line: string) => void = () => {}): Promise<BuiltImages> {
  const env = await podmanEnv();
  const base = await baseImage(env, log);
  await ensureConsole(log);
  const context = await mkdtemp(join(tmpdir(), 'posbon-images-'));
  try {
    await stage(join(context, 'out'));
    await mkdir(join(context, 'out', 'node'));
    await cp(process.execPath, join(context, 'out', 'node', 'node'));
    const dockerfile = await readFile(join(ROOT, 'deploy', 'Dockerfile'));
    const tag = createHash('sha256').update(await hashTree(context)).update(dockerfile).update(base).digest('hex').slice(0, 16);
    const staged = `localhost/posbon-staged:${tag}`;
    const refs = Object.fromEntries(Object.keys(IMAGES).map((i) => [i, `localhost/posbon-${i}:${tag}`])) as Record<ImageName, string>;
    const missing: ImageName[] = [];
    for (const [image, ref] of Object.entries(refs)) if (!(await exists(ref, env))) missing.push(image as ImageName);
    if (missing.length > 0) {
      await writeFile(join(context, 'Containerfile'), 'FROM scratch\nCOPY out /out\n');
      if (!(await exists(staged, env))) await podman(['build', '-q', '-t', staged, '-f', join(context, 'Containerfile'), context], env);
      for (const image of missing) {
        log(`podman build --target ${image}`);
        await podman(
          ['build', '-q', '--target', image, '--build-arg', `BASE_IMAGE=${base}`, '--build-arg', `STAGED=${staged}`,
            '-t', refs[image], '-f', join(ROOT, 'deploy', 'Dockerfile'), context],
          env,
        );
      }
    }
    const sizes = {} as Record<ImageName, number>;
    for (const [image, ref] of Object.entries(refs)) {
      sizes[image as ImageName] = Number((await podman(['image', 'inspect', '--format', '{{.Size}}', ref], env)).trim());
    }
    return { ...refs, sizes };
  } finally {
    await rm(context, { recursive: true, force: true });
  }
}

/** An image as a docker-archive, for `ctr images import` on a kubelet node. */
export async function saveImage(ref: string, file: string): Promise<void> {
  if (existsSync(file) && (await stat(file)).size > 0) return;
  await podman(['save', '--format', 'docker-archive', '-o', file, ref]);
}

/**
 * An image of static binaries and nothing else (`FROM scratch`), tagged by their content and saved once as a
 * docker-archive in the images cache: the cluster's pause image, MediaMTX for the media nodes.
 */
export async function scratchImage(name: string, files: Record<string, string>, entrypoint: string[]): Promise<{ ref: string; archive: string }> {
  const env = await podmanEnv();
  const hash = createHash('sha256').update(JSON.stringify(entrypoint));
  for (const [target, source] of Object.entries(files).sort()) hash.update(target).update('\0').update(await readFile(source)).update('\0');
  const ref = `localhost/${name}:${hash.digest('hex').slice(0, 16)}`;
  const archive = join(imagesCacheDir(), `${name}-${ref.split(':')[1]}.tar`);
  if (!(await exists(ref, env))) {
    const context = await mkdtemp(join(tmpdir(), 'posbon-scratch-'));
    try {
      for (const [target, source] of Object.entries(files)) await cp(source, join(context, target));
      const copies = Object.keys(files).map((target) => `COPY ${target} /${target}`);
      await writeFile(join(context, 'Containerfile'), ['FROM scratch', ...copies, `ENTRYPOINT ${JSON.stringify(entrypoint)}`, ''].join('\n'));
      await podman(['build', '-q', '-t', ref, '-f', join(context, 'Containerfile'), context], env);
    } finally {
      await rm(context, { recursive: true, force: true });
    }
  }
  await saveImage(ref, archive);
  return { ref, archive };
}
