// `npm run build:images:stage`: lays out each image's /app from the bundle — its entry points, the chunks they import,
// the one native addon where needed, the console for the API, and an SBOM of exactly what was inlined.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { BUNDLE_DIR, bundle, entryPackages, EXTERNAL, type Entry } from './bundle.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');

/** Each image and the entry points it carries; the first is what it starts. */
export const IMAGES = {
  operator: ['operator'],
  api: ['api', 'migrate', 'maintain'],
  webhook: ['webhook'],
  probe: ['probe', 'session-expiry', 'tunnel'],
} as const satisfies Record<string, readonly Entry[]>;
export type ImageName = keyof typeof IMAGES;

/** Native addons that stay packages: the addon's loader and its prebuilt binary for this platform. */
const NATIVE = ['@node-rs/argon2'];

interface Sbom {
  serialNumber?: string;
  metadata?: { timestamp?: string; component?: Record<string, unknown> };
  components?: Array<{ name: string; group?: string; 'bom-ref'?: string }>;
  dependencies?: Array<{ ref: string; dependsOn?: string[] }>;
}

/** The SBOM's time is the build's declared time (SOURCE_DATE_EPOCH), or none: a clock reading would make every stage differ. */
const buildTime = (): { timestamp?: string } =>
  process.env.SOURCE_DATE_EPOCH ? { timestamp: new Date(Number(process.env.SOURCE_DATE_EPOCH) * 1000).toISOString() } : {};

/** A version-4-shaped UUID from a hash of the text. */
function uuidOf(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const componentName = (c: { name: string; group?: string }) => (c.group ? `${c.group}/${c.name}` : c.name);

async function projectSbom(): Promise<Sbom> {
  const { stdout } = await run('npm', ['sbom', '--package-lock-only', '--omit=dev', '--sbom-format=cyclonedx', '--sbom-type=application'], {
    cwd: root,
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as Sbom;
}

export async function stage(outRoot = join(root, 'dist', 'images')): Promise<void> {
  const metafile = await bundle();
  const sbom = await projectSbom();
  await rm(outRoot, { recursive: true, force: true });
  for (const [image, entries] of Object.entries(IMAGES)) {
    const app = join(outRoot, image);
    await mkdir(join(app, 'chunks'), { recursive: true });
    const packages = new Set(entries.flatMap((e) => entryPackages(metafile, BUNDLE_DIR, e)));
    // Left-out one-machine pieces are never in the image; the native addon is, as a package.
    for (const name of EXTERNAL) if (!NATIVE.includes(name)) packages.delete(name);
    const chunks = new Set<string>();
    const walk = (output: string) => {
      for (const imp of metafile.outputs[output]?.imports ?? []) {
        if (imp.external || chunks.has(imp.path)) continue;
        chunks.add(imp.path);
        walk(imp.path);
      }
    };
    for (const entry of entries) {
      const output = Object.keys(metafile.outputs).find((o) => o.endsWith(`/bundle/${entry}.mjs`))!;
      walk(output);
      await cp(join(root, output), join(app, `${entry}.mjs`));
    }
    for (const chunk of chunks) await cp(join(root, chunk), join(app, 'chunks', basename(chunk)));
    for (const legal of (await readdir(BUNDLE_DIR)).filter((f) => f.endsWith('.LEGAL.txt'))) {
      if (entries.some((e) => legal.startsWith(`${e}.mjs`))) await cp(join(BUNDLE_DIR, legal), join(app, legal));
    }
    for (const native of NATIVE) {
      if (!packages.has(native)) continue;
      const scope = join(root, 'node_modules', native.split('/')[0]!);
      for (const dir of await readdir(scope)) {
        if (dir === native.split('/')[1] || dir.startsWith(`${native.split('/')[1]}-${process.platform}-${process.arch}`)) {
          await cp(join(scope, dir), join(app, 'node_modules', native.split('/')[0]!, dir), { recursive: true });
        }
      }
    }
    if (image === 'api') await cp(join(root, 'dist', 'console'), join(app, 'console'), { recursive: true });
    const components = (sbom.components ?? []).filter((c) => packages.has(componentName(c)));
    const refs = new Set(components.map((c) => c['bom-ref']));
    const { timestamp: _timestamp, ...metadata } = sbom.metadata ?? {};
    const imageSbom: Sbom = {
      ...sbom,
      metadata: { ...metadata, ...buildTime(), component: { ...sbom.metadata?.component, name: `posbon-${image}` } },
      components,
      dependencies: (sbom.dependencies ?? [])
        .filter((d) => refs.has(d.ref))
        .map((d) => ({ ...d, dependsOn: (d.dependsOn ?? []).filter((r) => refs.has(r)) })),
    };
    // Reproducible: the serial number derives from the content, so the same inputs stage the same files (and images).
    delete imageSbom.serialNumber;
    imageSbom.serialNumber = `urn:uuid:${uuidOf(JSON.stringify(imageSbom))}`;
    await writeFile(join(app, 'sbom.cdx.json'), `${JSON.stringify(imageSbom, null, 2)}\n`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await stage(process.argv[2]);
  console.log(`staged ${Object.keys(IMAGES).join(', ')} in ${process.argv[2] ?? 'dist/images'}`);
}
